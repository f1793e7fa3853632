//! `define_plugin!`: the original macro's shape, plus the safe `Responder` sections.
//!
//! The macros are crate-local and re-exported by path (`nylon_ring_sdk::define_plugin`),
//! so `use crate::nylon_ring_sdk::define_plugin;` works in any module, the crate root
//! included. The exports it writes come from the ABI generation layer
//! (`__nylon_ring_exports!` in `abi1/` or `abi2/`); everything else is shared.

/// Declares the plugin: exports the ABI generation's entry symbol, the layout probe
/// and `nylon_ring_manifest`, and routes calls.
///
/// Sections are optional but must come in this order. The first seven are the
/// original crate's shape, so existing plugin code ports by changing its `use` line
/// (their signatures are the generation's: see `legacy.rs`):
///
/// ```ignore
/// define_plugin! {
///     init: plugin_init,             // the original init signature
///     shutdown: plugin_shutdown,
///     on_init: setup,                // fn() -> Result<(), NrStatus>
///     on_shutdown: teardown,         // fn(), after background work finished
///     entries: { "legacy" => handle_legacy },
///     raw_entries: { "legacy_raw" => handle_raw },
///     stream_handlers: { data: on_data, close: on_close },
///     unary: { "hello" => hello },   // fn(Call, CallResponder) -> Reply, or fn(Call, Responder) -> Reply
///     stream: { "count" => count },  // fn(Call, CallStreamResponder) -> Reply, or fn(Call, StreamResponder) -> Reply
///     bidi: { "chat" => chat },      // fn(Call, &CallStreamResponder) -> Result<Box<dyn Session>, NrStatus>
///     panic_probes: { "panic" => panic },  // unary handlers that panic on purpose
/// }
/// ```
///
/// Any entry may carry `#[cfg(...)]`: it is then served only in builds where the
/// condition holds. Any entry may be followed by a sample for the embedded manifest,
/// `{ payload: "ping", expect: "ping" }`: each `key: value` becomes a `key = value`
/// line of its `[[entries]]` table (values are TOML strings, arrays of strings or
/// inline tables, written as Rust tokens; a `mode:` key replaces the default mode).
/// An unknown name answers `Unsupported`. Name and version come from
/// `CARGO_PKG_NAME`/`CARGO_PKG_VERSION`.
///
/// A `unary:` handler takes either a `CallResponder<'_>` (bound to the call: it answers
/// before the handler returns; the fastest path) or a `Responder` (it may be moved into
/// `spawn` to answer later); a `stream:` handler likewise takes a
/// `CallStreamResponder<'_>` or a `StreamResponder`. The signature picks the shape.
macro_rules! define_plugin {
    (
        $(init: $init:path,)?
        $(shutdown: $shutdown:path,)?
        $(on_init: $on_init:path,)?
        $(on_shutdown: $on_shutdown:path,)?
        $(entries: { $($(#[cfg($e_cfg:meta)])? $e_name:literal => $e_fn:path $({ $($e_key:ident : $e_val:tt),* $(,)? })?),* $(,)? } $(,)?)?
        $(raw_entries: { $($(#[cfg($r_cfg:meta)])? $r_name:literal => $r_fn:path $({ $($r_key:ident : $r_val:tt),* $(,)? })?),* $(,)? } $(,)?)?
        $(stream_handlers: { data: $data:path, close: $close:path $(,)? } $(,)?)?
        $(unary: { $($(#[cfg($u_cfg:meta)])? $u_name:literal => $u_fn:path $({ $($u_key:ident : $u_val:tt),* $(,)? })?),* $(,)? } $(,)?)?
        $(stream: { $($(#[cfg($s_cfg:meta)])? $s_name:literal => $s_fn:path $({ $($s_key:ident : $s_val:tt),* $(,)? })?),* $(,)? } $(,)?)?
        $(bidi: { $($(#[cfg($b_cfg:meta)])? $b_name:literal => $b_fn:path $({ $($b_key:ident : $b_val:tt),* $(,)? })?),* $(,)? } $(,)?)?
        $(panic_probes: { $($(#[cfg($p_cfg:meta)])? $p_name:literal => $p_fn:path $({ $($p_key:ident : $p_val:tt),* $(,)? })?),* $(,)? } $(,)?)?
    ) => {
        #[doc(hidden)]
        pub struct __NylonRingPlugin;

        #[doc(hidden)]
        const __NYLON_RING_ROUTES: &[$crate::nylon_ring_sdk::Route] = &[
            $($($crate::nylon_ring_sdk::__nylon_ring_route!(Legacy, $e_name, $e_fn $(, $e_cfg)?)
                .sample(concat!($($(stringify!($e_key), " = ", stringify!($e_val), "\n",)*)? "")),)*)?
            $($($crate::nylon_ring_sdk::__nylon_ring_route!(LegacyRaw, $r_name, $r_fn $(, $r_cfg)?)
                .sample(concat!($($(stringify!($r_key), " = ", stringify!($r_val), "\n",)*)? "")),)*)?
            $($($crate::nylon_ring_sdk::__nylon_ring_route!(Unary, serve_unary, $u_name, $u_fn $(, $u_cfg)?)
                .sample(concat!($($(stringify!($u_key), " = ", stringify!($u_val), "\n",)*)? "")),)*)?
            $($($crate::nylon_ring_sdk::__nylon_ring_route!(Stream, serve_stream, $s_name, $s_fn $(, $s_cfg)?)
                .sample(concat!($($(stringify!($s_key), " = ", stringify!($s_val), "\n",)*)? "")),)*)?
            $($($crate::nylon_ring_sdk::__nylon_ring_route!(Bidi, $b_name, $b_fn $(, $b_cfg)?)
                .sample(concat!($($(stringify!($b_key), " = ", stringify!($b_val), "\n",)*)? "")),)*)?
            $($($crate::nylon_ring_sdk::__nylon_ring_route!(Unary, serve_unary, $p_name, $p_fn $(, $p_cfg)?)
                .probe()
                .sample(concat!($($(stringify!($p_key), " = ", stringify!($p_val), "\n",)*)? "")),)*)?
        ];

        const _: () = assert!(
            $crate::nylon_ring_sdk::routes_are_unique(__NYLON_RING_ROUTES),
            "define_plugin!: an entry name is listed twice"
        );

        #[doc(hidden)]
        static __NYLON_RING_SPEC: $crate::nylon_ring_sdk::PluginSpec = $crate::nylon_ring_sdk::PluginSpec {
            routes: __NYLON_RING_ROUTES,
            init: $crate::nylon_ring_sdk::__nylon_ring_opt!($($init as $crate::nylon_ring_sdk::LegacyInitFn)?),
            shutdown: $crate::nylon_ring_sdk::__nylon_ring_opt!($($shutdown as $crate::nylon_ring_sdk::LegacyShutdownFn)?),
            on_init: $crate::nylon_ring_sdk::__nylon_ring_opt!($($on_init as $crate::nylon_ring_sdk::InitHook)?),
            on_shutdown: $crate::nylon_ring_sdk::__nylon_ring_opt!($($on_shutdown as $crate::nylon_ring_sdk::ShutdownHook)?),
            stream_data: $crate::nylon_ring_sdk::__nylon_ring_opt!($($data as $crate::nylon_ring_sdk::LegacyDataFn)?),
            stream_close: $crate::nylon_ring_sdk::__nylon_ring_opt!($($close as $crate::nylon_ring_sdk::LegacyCloseFn)?),
        };

        impl $crate::nylon_ring_sdk::Plugin for __NylonRingPlugin {
            fn spec() -> &'static $crate::nylon_ring_sdk::PluginSpec {
                &__NYLON_RING_SPEC
            }
        }

        #[doc(hidden)]
        const __NYLON_RING_MANIFEST_LEN: usize =
            $crate::nylon_ring_sdk::manifest_len(env!("CARGO_PKG_NAME"), __NYLON_RING_ROUTES);

        #[doc(hidden)]
        static __NYLON_RING_MANIFEST: [u8; __NYLON_RING_MANIFEST_LEN] =
            $crate::nylon_ring_sdk::manifest(env!("CARGO_PKG_NAME"), __NYLON_RING_ROUTES);

        /// The embedded manifest: this plugin's route table as NUL-terminated
        /// `nylon-ring.toml` text, written at compile time.
        #[unsafe(no_mangle)]
        pub extern "C" fn nylon_ring_manifest() -> *const u8 {
            __NYLON_RING_MANIFEST.as_ptr()
        }

        $crate::nylon_ring_sdk::__nylon_ring_exports!(__NylonRingPlugin);
    };
}

/// One routing-table row (internal to `define_plugin!`). A `unary:`/`stream:` handler
/// is wrapped in a function that serves it in the shape its signature asks for.
macro_rules! __nylon_ring_route {
    ($kind:ident, $serve:ident, $name:literal, $handler:path $(, $cfg:meta)?) => {
        $crate::nylon_ring_sdk::Route::new($name, $crate::nylon_ring_sdk::Handler::$kind({
            fn serve(call: $crate::nylon_ring_sdk::Call<'_>) -> $crate::nylon_ring_abi::NrStatus {
                $crate::nylon_ring_sdk::$serve($handler, call)
            }
            serve
        }))
        $(.enabled(cfg!($cfg)))?
    };
    ($kind:ident, $name:literal, $handler:path $(, $cfg:meta)?) => {
        $crate::nylon_ring_sdk::Route::new($name, $crate::nylon_ring_sdk::Handler::$kind($handler))
            $(.enabled(cfg!($cfg)))?
    };
}

/// `Some(f as T)` or `None` (internal to `define_plugin!`).
macro_rules! __nylon_ring_opt {
    () => {
        None
    };
    ($f:path as $t:ty) => {
        Some($f as $t)
    };
}

pub(crate) use {__nylon_ring_opt, __nylon_ring_route, define_plugin};

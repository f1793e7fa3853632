//! `define_plugin!`: the original macro's shape, plus the safe `Responder` sections.
//!
//! The macros are crate-local and re-exported by path (`nylon_ring_sdk::define_plugin`),
//! so `use crate::nylon_ring_sdk::define_plugin;` works in any module, the crate root
//! included.

/// Declares the plugin: exports `nylon_ring_get_plugin_v1`, the state-extension
/// hand-over `nylon_ring_set_host_ext_v1` and the layout probe, and routes calls.
///
/// Sections are optional but must come in this order (the first five are the seed-era
/// shape, so existing plugin code ports by changing its `use` line):
///
/// ```ignore
/// define_plugin! {
///     init: plugin_init,             // unsafe fn(plugin_ctx, host_ctx, *const NrHostVTable) -> NrStatus
///     shutdown: plugin_shutdown,     // unsafe fn(plugin_ctx)
///     on_init: setup,                // fn() -> Result<(), NrStatus>
///     on_shutdown: teardown,         // fn(), after background work finished
///     entries: { "legacy" => handle_legacy },        // unsafe fn(ctx, sid, *const NrRequest, NrBytes) -> NrStatus
///     raw_entries: { "legacy_raw" => handle_raw },   // unsafe fn(ctx, sid, NrBytes) -> NrStatus
///     stream_handlers: { data: on_data, close: on_close },
///     unary: { "hello" => hello },   // fn(Call, CallResponder) -> Reply, or fn(Call, Responder) -> Reply
///     stream: { "count" => count },  // fn(Call, CallStreamResponder) -> Reply, or fn(Call, StreamResponder) -> Reply
///     bidi: { "chat" => chat },      // fn(Call, &CallStreamResponder) -> Result<Box<dyn Session>, NrStatus>
/// }
/// ```
///
/// Any entry may carry `#[cfg(...)]`: it is then served only in builds where the
/// condition holds (the panic probes use `#[cfg(any(debug_assertions, feature = "panic-probes"))]`).
/// Every entry is reachable through both `handle` and `handle_raw`; an unknown name
/// answers `Unsupported`. Name and version come from `CARGO_PKG_NAME`/`CARGO_PKG_VERSION`.
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
        $(entries: { $($(#[cfg($e_cfg:meta)])? $e_name:literal => $e_fn:path),* $(,)? } $(,)?)?
        $(raw_entries: { $($(#[cfg($r_cfg:meta)])? $r_name:literal => $r_fn:path),* $(,)? } $(,)?)?
        $(stream_handlers: { data: $data:path, close: $close:path $(,)? } $(,)?)?
        $(unary: { $($(#[cfg($u_cfg:meta)])? $u_name:literal => $u_fn:path),* $(,)? } $(,)?)?
        $(stream: { $($(#[cfg($s_cfg:meta)])? $s_name:literal => $s_fn:path),* $(,)? } $(,)?)?
        $(bidi: { $($(#[cfg($b_cfg:meta)])? $b_name:literal => $b_fn:path),* $(,)? } $(,)?)?
    ) => {
        #[doc(hidden)]
        pub struct __NylonRingPlugin;

        #[doc(hidden)]
        const __NYLON_RING_ROUTES: &[$crate::nylon_ring_sdk::Route] = &[
            $($($crate::nylon_ring_sdk::__nylon_ring_route!(Legacy, $e_name, $e_fn $(, $e_cfg)?),)*)?
            $($($crate::nylon_ring_sdk::__nylon_ring_route!(LegacyRaw, $r_name, $r_fn $(, $r_cfg)?),)*)?
            $($($crate::nylon_ring_sdk::__nylon_ring_route!(Unary, serve_unary, $u_name, $u_fn $(, $u_cfg)?),)*)?
            $($($crate::nylon_ring_sdk::__nylon_ring_route!(Stream, serve_stream, $s_name, $s_fn $(, $s_cfg)?),)*)?
            $($($crate::nylon_ring_sdk::__nylon_ring_route!(Bidi, $b_name, $b_fn $(, $b_cfg)?),)*)?
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
        static __NYLON_RING_VTABLE: $crate::nylon_ring_abi::NrPluginVTable =
            $crate::nylon_ring_sdk::vtable::<__NylonRingPlugin>();

        #[doc(hidden)]
        static __NYLON_RING_INFO: $crate::nylon_ring_abi::NrPluginInfo =
            $crate::nylon_ring_sdk::plugin_info(env!("CARGO_PKG_NAME"), env!("CARGO_PKG_VERSION"), &__NYLON_RING_VTABLE);

        /// The nylon-ring entry symbol: this plugin's static `NrPluginInfo`.
        #[unsafe(no_mangle)]
        pub extern "C" fn nylon_ring_get_plugin_v1() -> *const $crate::nylon_ring_abi::NrPluginInfo {
            &__NYLON_RING_INFO
        }

        /// The optional state-extension hand-over, called by a host before `init`.
        ///
        /// # Safety
        /// `ext` is NULL or points to an `NrHostExt` valid until `shutdown` returns.
        #[unsafe(no_mangle)]
        pub unsafe extern "C" fn nylon_ring_set_host_ext_v1(ext: *const $crate::nylon_ring_abi::NrHostExt) {
            unsafe { $crate::nylon_ring_sdk::set_host_ext(ext) }
        }

        /// The optional layout probe: this build's sizes and offsets, for the host to
        /// compare with its own. (Spelled out rather than through the generated
        /// `nr_define_layout_probe!`, which cannot be named by path from a macro when
        /// its module is declared with `#[rustfmt::skip]`.)
        #[unsafe(no_mangle)]
        pub extern "C" fn nylon_ring_layout_probe_v1() -> *const $crate::nylon_ring_abi::NrLayoutProbe {
            &$crate::nylon_ring_abi::NR_LAYOUT_PROBE
        }
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

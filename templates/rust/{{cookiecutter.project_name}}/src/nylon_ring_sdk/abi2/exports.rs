//! The symbols an ABI 2 plugin exports (internal to `define_plugin!`).

/// Exports `nylon_ring_get_plugin` and the layout probe for plugin type `$plugin`.
macro_rules! __nylon_ring_exports {
    ($plugin:ident) => {
        #[doc(hidden)]
        static __NYLON_RING_VTABLE: $crate::nylon_ring_abi::NrPluginVTable =
            $crate::nylon_ring_sdk::vtable::<$plugin>();

        #[doc(hidden)]
        static __NYLON_RING_INFO: $crate::nylon_ring_abi::NrPluginInfo =
            $crate::nylon_ring_sdk::plugin_info(
                env!("CARGO_PKG_NAME"),
                env!("CARGO_PKG_VERSION"),
                &__NYLON_RING_VTABLE,
            );

        /// The nylon-ring entry symbol: this plugin's static `NrPluginInfo`.
        #[unsafe(no_mangle)]
        pub extern "C" fn nylon_ring_get_plugin() -> *const $crate::nylon_ring_abi::NrPluginInfo {
            &__NYLON_RING_INFO
        }

        /// The optional layout probe: this build's sizes and offsets, for the host to
        /// compare with its own (released hosts ignore it). Spelled out rather than
        /// through the generated `nr_define_layout_probe!`, which cannot be named by
        /// path from a macro when its module is declared with `#[rustfmt::skip]`.
        #[unsafe(no_mangle)]
        pub extern "C" fn nylon_ring_layout_probe_v2(
        ) -> *const $crate::nylon_ring_abi::NrLayoutProbe {
            &$crate::nylon_ring_abi::NR_LAYOUT_PROBE
        }
    };
}

pub(crate) use __nylon_ring_exports;

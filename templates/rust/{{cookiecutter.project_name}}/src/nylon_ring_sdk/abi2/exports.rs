//! The symbols an ABI 2 plugin exports (internal to `define_plugin!`).

/// Exports `nylon_ring_get_plugin` for plugin type `$plugin`.
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
    };
}

pub(crate) use __nylon_ring_exports;

//! The embedded manifest: the route table written as `nylon-ring.toml` text at
//! compile time, exported by `nylon_ring_manifest()` so a built library describes
//! itself to `nylon-ring conformance`.
//!
//! The text is assembled by `const fn`s into a static byte array (NUL-terminated):
//! `[plugin]` with the crate's name, one `[[entries]]` table per served route (its
//! name, the generation's mode for its kind, and the sample lines `define_plugin!`
//! was given), then one `[[panic_probes]]` table per probe. Routes left out of the
//! build by `#[cfg]` are left out of the text too.

use super::plugin::Route;

/// The text before the first table.
const PLUGIN: &[u8] = b"[plugin]\nname = ";
const UNKNOWN: &[u8] = b"\nunknown_entry = \"unsupported\"\n";
const ENTRY: &[u8] = b"\n[[entries]]\nname = ";
const PROBE: &[u8] = b"\n[[panic_probes]]\nname = ";
const MODE: &[u8] = b"\nmode = \"";
const MODE_END: &[u8] = b"\"\n";

/// The manifest's length in bytes, its closing NUL included.
pub const fn manifest_len(name: &str, routes: &[Route]) -> usize {
    let mut out = Writer::<0>::measure();
    write_manifest(&mut out, name, routes);
    out.len + 1
}

/// The manifest as `N` bytes (`N` from [`manifest_len`]), ending in NUL.
pub const fn manifest<const N: usize>(name: &str, routes: &[Route]) -> [u8; N] {
    let mut out = Writer::<N>::new();
    write_manifest(&mut out, name, routes);
    out.bytes
}

const fn write_manifest<const N: usize>(out: &mut Writer<N>, name: &str, routes: &[Route]) {
    out.put(PLUGIN);
    out.quoted(name.as_bytes());
    out.put(UNKNOWN);
    let mut pass = 0;
    while pass < 2 {
        let mut index = 0;
        while index < routes.len() {
            let route = &routes[index];
            if route.enabled && route.probe == (pass == 1) {
                write_route(out, route);
            }
            index += 1;
        }
        pass += 1;
    }
}

const fn write_route<const N: usize>(out: &mut Writer<N>, route: &Route) {
    out.put(if route.probe { PROBE } else { ENTRY });
    out.quoted(route.name.as_bytes());
    let sample = route.sample.as_bytes();
    if starts_with(sample, b"mode ") {
        out.put(b"\n");
    } else {
        out.put(MODE);
        out.put(route.handler.mode().as_bytes());
        out.put(MODE_END);
    }
    out.put(sample);
}

const fn starts_with(text: &[u8], prefix: &[u8]) -> bool {
    if text.len() < prefix.len() {
        return false;
    }
    let mut i = 0;
    while i < prefix.len() {
        if text[i] != prefix[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Writes into `N` bytes, or only counts when `N` is 0.
struct Writer<const N: usize> {
    bytes: [u8; N],
    len: usize,
    counting: bool,
}

impl<const N: usize> Writer<N> {
    const fn new() -> Writer<N> {
        Writer {
            bytes: [0; N],
            len: 0,
            counting: false,
        }
    }

    const fn measure() -> Writer<N> {
        Writer {
            bytes: [0; N],
            len: 0,
            counting: true,
        }
    }

    const fn byte(&mut self, byte: u8) {
        if !self.counting {
            self.bytes[self.len] = byte;
        }
        self.len += 1;
    }

    const fn put(&mut self, text: &[u8]) {
        let mut i = 0;
        while i < text.len() {
            self.byte(text[i]);
            i += 1;
        }
    }

    /// `text` as a TOML basic string: quotes, backslashes and control bytes escaped.
    const fn quoted(&mut self, text: &[u8]) {
        const HEX: &[u8; 16] = b"0123456789ABCDEF";
        self.byte(b'"');
        let mut i = 0;
        while i < text.len() {
            let byte = text[i];
            if byte == b'"' || byte == b'\\' {
                self.byte(b'\\');
                self.byte(byte);
            } else if byte < 0x20 || byte == 0x7f {
                self.put(b"\\u00");
                self.byte(HEX[(byte >> 4) as usize]);
                self.byte(HEX[(byte & 0xf) as usize]);
            } else {
                self.byte(byte);
            }
            i += 1;
        }
        self.byte(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::super::plugin::{Handler, Route};
    use super::*;
    use crate::nylon_ring_abi::NrStatus;

    fn unary(_: super::super::call::Call<'_>) -> NrStatus {
        NrStatus::Ok
    }

    const ROUTES: &[Route] = &[
        Route::new("say \"hi\"\\\n", Handler::Unary(unary)).sample("payload = \"x\"\n"),
        Route::new("gone", Handler::Unary(unary)).enabled(false),
        Route::new("boom", Handler::Unary(unary)).probe(),
        Route::new("custom", Handler::Unary(unary)).sample("mode = \"raw\"\n"),
    ];
    const LEN: usize = manifest_len("demo", ROUTES);
    static TEXT: [u8; LEN] = manifest("demo", ROUTES);

    #[test]
    fn names_are_escaped_disabled_routes_left_out_probes_last() {
        let (text, nul) = TEXT.split_at(LEN - 1);
        assert_eq!(nul, [0]);
        let mode = super::super::generation::MANIFEST_MODES[0];
        let expected = format!(
            "[plugin]\nname = \"demo\"\nunknown_entry = \"unsupported\"\n\
             \n[[entries]]\nname = \"say \\\"hi\\\"\\\\\\u000A\"\nmode = \"{mode}\"\npayload = \"x\"\n\
             \n[[entries]]\nname = \"custom\"\nmode = \"raw\"\n\
             \n[[panic_probes]]\nname = \"boom\"\nmode = \"{mode}\"\n"
        );
        assert_eq!(core::str::from_utf8(text), Ok(expected.as_str()));
    }
}

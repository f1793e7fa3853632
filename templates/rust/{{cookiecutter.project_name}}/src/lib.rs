//! {{ cookiecutter.project_name }}: a nylon-ring plugin.
//!
//! Write your handlers here and list them in `define_plugin!` at the bottom. The
//! examples show every mode; `nylon-ring.toml` declares what they answer, and
//! `nylon-ring conformance` checks it.

#[rustfmt::skip]
pub mod nylon_ring_abi;
pub mod nylon_ring_sdk;

use nylon_ring_sdk::{
    define_plugin, spawn, Call, CallResponder, CallStreamResponder, Flow, NrStatus, Reply,
    Responder, Session,
};
{% if cookiecutter.abi == "2" %}
/// `hello` (unary): answers `"hello, <payload>"`, joined on the stack by
/// `respond_parts` (no allocation for answers up to 256 bytes).
fn hello(call: Call<'_>, out: CallResponder<'_>) -> Reply {
    out.respond_parts(NrStatus::Ok, &[b"hello, ", call.payload()])
}
{% else %}
/// `hello` (unary, uses the request): answers `"<method> <path> <payload>"`, joined on
/// the stack by `respond_parts` (no allocation for answers up to 256 bytes).
fn hello(call: Call<'_>, out: CallResponder<'_>) -> Reply {
    let Some(request) = call.request() else {
        return out.reject(NrStatus::Invalid);
    };
    out.respond_parts(
        NrStatus::Ok,
        &[
            request.method().as_bytes(),
            b" ",
            request.path().as_bytes(),
            b" ",
            call.payload(),
        ],
    )
}
{% endif %}
/// `echo` (raw, synchronous): answers the payload on the host's thread, before it
/// returns. A `CallResponder` is bound to the call: the fastest path, no allocation.
fn echo(call: Call<'_>, out: CallResponder<'_>) -> Reply {
    out.respond(NrStatus::Ok, call.payload())
}

/// `echo_async` (raw, background): copies the payload, answers from a worker thread.
/// A `Responder` may leave the call, so it can move into `spawn`.
fn echo_async(call: Call<'_>, out: Responder) -> Reply {
    let data = call.payload().to_vec();
    spawn(move || out.respond(NrStatus::Ok, &data))
}
{% if cookiecutter.abi == "2" %}
/// `echo_owned` (zero-copy): hands a copy of the payload to the host without a
/// second copy (`send_result_owned`); the SDK frees it when the host releases it.
fn echo_owned(call: Call<'_>, out: CallResponder<'_>) -> Reply {
    out.respond_owned(NrStatus::Ok, call.payload().to_vec())
}

/// `echo_lease` (host buffer): writes the payload straight into a buffer the host
/// leases; when the host grants none, the SDK answers through `send_result`.
fn echo_lease(call: Call<'_>, out: CallResponder<'_>) -> Reply {
    let payload = call.payload();
    out.respond_leased(NrStatus::Ok, payload.len(), |buffer| {
        buffer.put(payload);
    })
}
{% endif %}
{% if cookiecutter.abi == "2" -%}
/// `count` (server stream): payload `N` gives frames `"0"` .. `"N-1"`, then `StreamEnd`.
/// An ABI 2 host bounds each stream's queue and drains it only once `handle`
/// returned, so frames go out on the host's thread while the host takes them
/// (`try_send`, no waiting); once it answers `Backpressure`, the rest is sent from a
/// worker, where `send` waits the queue out. A payload that is not a number is
/// rejected with `Invalid` (nothing is sent).
fn count(call: Call<'_>, out: CallStreamResponder<'_>) -> Reply {
    let Some(n) = parse_count(call.payload()) else {
        return out.reject(NrStatus::Invalid);
    };
    let mut digits = [0u8; 20];
    let mut next = 0;
    while next < n && out.try_send(decimal(next, &mut digits)) == NrStatus::Ok {
        next += 1;
    }
    let out = if next == n {
        match out.try_end(NrStatus::StreamEnd) {
            Ok(reply) => return reply,
            Err(out) => out,
        }
    } else {
        out
    };
    let out = out.detach();
    spawn(move || {
        for i in next..n {
            if !out.send(decimal(i, &mut digits)) {
                break;
            }
        }
        out.end(NrStatus::StreamEnd)
    })
}
{% else -%}
/// `count` (server stream): payload `N` gives frames `"0"` .. `"N-1"`, then `StreamEnd`,
/// all sent on the host's thread before `handle` returns. A payload that is not a
/// number is rejected with `Invalid` (nothing is sent). A stream whose frames come
/// later takes a `StreamResponder` and moves it into `spawn`, as `echo_async` does.
fn count(call: Call<'_>, out: CallStreamResponder<'_>) -> Reply {
    let Some(n) = parse_count(call.payload()) else {
        return out.reject(NrStatus::Invalid);
    };
    let mut digits = [0u8; 20];
    for i in 0..n {
        if !out.send(decimal(i, &mut digits)) {
            break;
        }
    }
    out.end(NrStatus::StreamEnd)
}
{% endif %}
/// Decimal digits with optional ASCII white space around them; `None` for anything
/// else (empty, a sign, other characters, more than `u64::MAX`).
fn parse_count(payload: &[u8]) -> Option<u64> {
    let digits = payload.trim_ascii();
    if digits.is_empty() {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &digit| {
        if !digit.is_ascii_digit() {
            return None;
        }
        n.checked_mul(10)?.checked_add(u64::from(digit - b'0'))
    })
}

/// `n` in decimal, written into the end of `buf` (no allocation).
fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut start = buf.len();
    loop {
        start -= 1;
        buf[start] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[start..];
        }
    }
}

/// `chat` (bidirectional): echoes each inbound frame; the host's close ends the stream.
struct Chat;

impl Session for Chat {
    fn on_data(&mut self, data: &[u8], out: &CallStreamResponder<'_>) -> Flow {
        out.send(data);
        Flow::Continue
    }
}

fn chat(_call: Call<'_>, _out: &CallStreamResponder<'_>) -> Result<Box<dyn Session>, NrStatus> {
    Ok(Box::new(Chat))
}

{%- if cookiecutter.abi != "2" %}
/// `state` (raw): stores the payload under `"k"` in the host's per-sid state, reads
/// it back and answers it; `Unsupported` when the host offers no state extension.
fn state(call: Call<'_>, out: CallResponder<'_>) -> Reply {
    let Some(state) = call.state() else {
        return out.respond(NrStatus::Unsupported, b"");
    };
    match state.set("k", call.payload()).and_then(|()| state.get("k")) {
        Ok(value) => out.respond(NrStatus::Ok, &value),
        Err(status) => out.respond(status, b""),
    }
}
{%- endif %}

/// `panic` (probe): panics on the host's thread; the SDK answers {% if cookiecutter.abi == "2" %}`Panic`{% else %}`Err`{% endif %}.
fn panic(_call: Call<'_>, _out: CallResponder<'_>) -> Reply {
    panic!("panic probe: a handler panicked on the host's thread")
}

/// `panic_async` (probe): panics on a worker thread; the SDK answers {% if cookiecutter.abi == "2" %}`Panic`{% else %}`Err`{% endif %}.
fn panic_async(_call: Call<'_>, out: Responder) -> Reply {
    spawn(move || {
        let _held = out;
        panic!("panic probe: a handler panicked on a background thread")
    })
}
{%- for entry in cookiecutter.extra_entries.split(",") if entry %}

/// `{{ entry }}`: answers its payload; replace with your own handler.
fn entry_{{ entry }}(call: Call<'_>, out: CallResponder<'_>) -> Reply {
    out.respond(NrStatus::Ok, call.payload())
}
{%- endfor %}
{% if cookiecutter.abi == "2" %}
// Each entry's `{ ... }` is its sample in the embedded manifest (`nylon_ring_manifest`),
// which `nylon-ring conformance` reads from the built library. The panic probes answer
// only when `NYLON_RING_ENABLE_PROBES=1` is set as the host initialises the plugin.
define_plugin! {
    unary: {
        "hello" => hello { payload: "world", expect: "hello, world" },
        "echo" => echo { payload: "ping", expect: "ping" },
        "echo_async" => echo_async { payload: "ping from a worker", expect: "ping from a worker" },
        "echo_owned" => echo_owned { payload: "zero copy", expect: "zero copy" },
        "echo_lease" => echo_lease { payload: "leased", expect: "leased" },
{%- for entry in cookiecutter.extra_entries.split(",") if entry %}
        "{{ entry }}" => entry_{{ entry }} { payload: "sample", expect: "sample" },
{%- endfor %}
    },
    stream: {
        "count" => count { payload: "3", expect_frames: ["0", "1", "2"], expect_terminal: "StreamEnd" },
    },
    bidi: {
        "chat" => chat { payload: "", send: ["a", "b"], expect_frames: ["a", "b"], expect_terminal: "StreamEnd" },
    },
    panic_probes: {
        "panic" => panic,
        "panic_async" => panic_async,
    },
}
{% else %}
// Each entry's `{ ... }` is its sample in the embedded manifest (`nylon_ring_manifest`).
define_plugin! {
    unary: {
        "hello" => hello {
            mode: "unary",
            payload: "world",
            request: { method = "GET", path = "/hello", query = "", headers = { "x-test" = "1" } },
            expect: "GET /hello world"
        },
        "echo" => echo { payload: "ping", expect: "ping" },
        "echo_async" => echo_async { payload: "ping from a worker", expect: "ping from a worker" },
        "state" => state { payload: "remembered", expect: "remembered" },
{%- for entry in cookiecutter.extra_entries.split(",") if entry %}
        "{{ entry }}" => entry_{{ entry }} { payload: "sample", expect: "sample" },
{%- endfor %}
    },
    stream: {
        "count" => count { payload: "3", expect_frames: ["0", "1", "2"], expect_terminal: "StreamEnd" },
    },
    bidi: {
        "chat" => chat { payload: "", send: ["a", "b"], expect_frames: ["a", "b"], expect_terminal: "StreamEnd" },
    },
    panic_probes: {
        #[cfg(any(debug_assertions, feature = "panic-probes"))]
        "panic" => panic,
        #[cfg(any(debug_assertions, feature = "panic-probes"))]
        "panic_async" => panic_async,
    },
}
{% endif %}
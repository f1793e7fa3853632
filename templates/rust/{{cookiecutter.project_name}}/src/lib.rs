//! {{ cookiecutter.project_name }}: a nylon-ring plugin.
//!
//! Write your handlers here and list them in `define_plugin!` at the bottom. The
//! examples show every mode; `nylon-ring.toml` declares what they answer, and
//! `nylon-ring conformance` checks it.

#[rustfmt::skip]
pub mod nylon_ring_abi;
pub mod nylon_ring_sdk;

use nylon_ring_sdk::{
    define_plugin, spawn, Call, Flow, NrStatus, Reply, Responder, Session, StreamResponder,
};

/// `hello` (unary, uses the request): answers `"<method> <path> <payload>"`.
fn hello(call: Call<'_>, out: Responder) -> Reply {
    let Some(request) = call.request() else {
        return out.reject(NrStatus::Invalid);
    };
    let mut text = Vec::with_capacity(
        request.method().len() + request.path().len() + call.payload().len() + 2,
    );
    text.extend_from_slice(request.method().as_bytes());
    text.push(b' ');
    text.extend_from_slice(request.path().as_bytes());
    text.push(b' ');
    text.extend_from_slice(call.payload());
    out.respond(NrStatus::Ok, &text)
}

/// `echo` (raw, synchronous): answers the payload on the host's thread. No allocation.
fn echo(call: Call<'_>, out: Responder) -> Reply {
    out.respond(NrStatus::Ok, call.payload())
}

/// `echo_async` (raw, background): copies the payload, answers from a worker thread.
fn echo_async(call: Call<'_>, out: Responder) -> Reply {
    let data = call.payload().to_vec();
    spawn(move || out.respond(NrStatus::Ok, &data))
}

/// `count` (server stream): payload `N` gives frames `"0"` .. `"N-1"`, then `StreamEnd`.
/// A payload that is not a number is rejected with `Invalid` (nothing is sent).
fn count(call: Call<'_>, out: StreamResponder) -> Reply {
    let parsed = std::str::from_utf8(call.payload())
        .ok()
        .and_then(|text| text.trim().parse::<u64>().ok());
    let Some(n) = parsed else {
        return out.reject(NrStatus::Invalid);
    };
    spawn(move || {
        for i in 0..n {
            if !out.send(i.to_string().as_bytes()) {
                break;
            }
        }
        out.end(NrStatus::StreamEnd)
    })
}

/// `chat` (bidirectional): echoes each inbound frame; the host's close ends the stream.
struct Chat;

impl Session for Chat {
    fn on_data(&mut self, data: &[u8], out: &StreamResponder) -> Flow {
        out.send(data);
        Flow::Continue
    }
}

fn chat(_call: Call<'_>, _out: &StreamResponder) -> Result<Box<dyn Session>, NrStatus> {
    Ok(Box::new(Chat))
}

/// `state` (raw): stores the payload under `"k"` in the host's per-sid state, reads
/// it back and answers it; `Unsupported` when the host offers no state extension.
fn state(call: Call<'_>, out: Responder) -> Reply {
    let Some(state) = call.state() else {
        return out.respond(NrStatus::Unsupported, b"");
    };
    match state.set("k", call.payload()).and_then(|()| state.get("k")) {
        Ok(value) => out.respond(NrStatus::Ok, &value),
        Err(status) => out.respond(status, b""),
    }
}

/// `panic` (probe): panics on the host's thread; the SDK answers `Err`.
fn panic(_call: Call<'_>, _out: Responder) -> Reply {
    panic!("panic probe: a handler panicked on the host's thread")
}

/// `panic_async` (probe): panics on a worker thread; the SDK answers `Err`.
fn panic_async(_call: Call<'_>, out: Responder) -> Reply {
    spawn(move || {
        let _held = out;
        panic!("panic probe: a handler panicked on a background thread")
    })
}
{%- for entry in cookiecutter.extra_entries.split(",") if entry %}

/// `{{ entry }}`: answers its payload; replace with your own handler.
fn entry_{{ entry }}(call: Call<'_>, out: Responder) -> Reply {
    out.respond(NrStatus::Ok, call.payload())
}
{%- endfor %}

define_plugin! {
    unary: {
        "hello" => hello,
        "echo" => echo,
        "echo_async" => echo_async,
        "state" => state,
{%- for entry in cookiecutter.extra_entries.split(",") if entry %}
        "{{ entry }}" => entry_{{ entry }},
{%- endfor %}
        #[cfg(any(debug_assertions, feature = "panic-probes"))]
        "panic" => panic,
        #[cfg(any(debug_assertions, feature = "panic-probes"))]
        "panic_async" => panic_async,
    },
    stream: {
        "count" => count,
    },
    bidi: {
        "chat" => chat,
    },
}

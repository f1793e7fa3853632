// {{ cookiecutter.project_name }}: a nylon-ring plugin in C++17.
//
// Each entry is a function registered in the NYLON_RING_PLUGIN block at the end of
// this file. Write your own the same way: answer through the Responder (ok/reply for
// unary calls, frame + end for streams), or return an error status without answering
// to reject the call. The SDK in sdk/ keeps the ABI's rules (see sdk/nr_core.hpp).
#include <algorithm>
#include <charconv>
#include <cstring>
#include <stdexcept>
#include <string>

#include "nr_plugin.hpp"

namespace nr = nylon_ring::sdk;
using nylon_ring::ByteView;
using nylon_ring::Status;

namespace {

{% if cookiecutter.abi == "2" %}
// hello (unary): "hello, " + payload, put together on the stack when it is small (a
// std::string would allocate on every call).
Status hello(const nr::Request &req, nr::Responder &res) {
    const std::string_view parts[] = {"hello, ", req.text()};
{% else %}
// hello (unary, needs the request): "<method> <path> " + payload, put together on the
// stack when it is small (a std::string would allocate on every call).
Status hello(const nr::Request &req, nr::Responder &res) {
    if (!req.has_metadata()) return Status::Invalid;
    const std::string_view parts[] = {req.method(), " ", req.path(), " ", req.text()};
{% endif %}
    std::size_t size = 0;
    for (std::string_view part : parts) size += part.size();
    char small[256];
    std::string large;
    char *out = small;
    if (size > sizeof(small)) {
        large.resize(size);
        out = large.data();
    }
    char *end = out;
    for (std::string_view part : parts) end = std::copy(part.begin(), part.end(), end);
    res.ok(std::string_view(out, size));
    return Status::Ok;
}

{% if cookiecutter.abi == "2" %}
// echo (unary; echo_async runs the same function on a worker of the background pool):
// the payload back, copied by the host.
Status echo(const nr::Request &req, nr::Responder &res) {
    res.ok(req.payload());
    return Status::Ok;
}

// echo_owned (unary): the payload back without a copy on the host's side. The SDK
// keeps the string alive and unchanged until the host releases it.
Status echo_owned(const nr::Request &req, nr::Responder &res) {
    res.reply_owned(Status::Ok, std::string(req.text()));
    return Status::Ok;
}

// echo_lease (unary): the payload written straight into a buffer the host leases; when
// the host has none to give, the answer goes through the ordinary copy.
Status echo_lease(const nr::Request &req, nr::Responder &res) {
    nr::ByteView payload = req.payload();
    if (nr::Lease lease = res.acquire(payload.size())) {
        if (!payload.empty()) std::memcpy(lease.data, payload.data(), payload.size());
        if (res.commit(lease, Status::Ok, payload.size()) == nr::Sent::Sent) return Status::Ok;
    }
    res.ok(payload);
    return Status::Ok;
}
{% else %}
// echo (raw; echo_async runs the same function on a background thread): the payload back.
Status echo(const nr::Request &req, nr::Responder &res) {
    res.ok(req.payload());
    return Status::Ok;
}
{% endif %}

// count (stream): payload N gives frames "0".."N-1", then StreamEnd; no number: Invalid.
void send_count(nr::Responder &res, long n) {
    for (long i = 0; i < n; ++i) {
        char digits[24];
        const char *last = std::to_chars(digits, digits + sizeof(digits), i).ptr;
        res.frame(std::string_view(digits, static_cast<std::size_t>(last - digits)));
    }
    res.end();
}

Status count(const nr::Request &req, nr::Responder &res) {
    std::string_view text = req.text();
    long n = -1;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || n < 0 || n > 1000000) {
        return Status::Invalid;  // rejected: nothing is sent
    }
{% if cookiecutter.abi == "2" %}
    // The frames come from the background pool, where frame() waits out a host's full
    // stream queue (Backpressure) instead of losing frames.
    nr::spawn([n, r = std::move(res)]() mutable { send_count(r, n); });
{% else %}
    send_count(res, n);
{% endif %}
    return Status::Ok;
}

// chat (bidirectional): accepting the stream is all the open does...
Status chat_open(const nr::Request &, nr::Session &) { return Status::Ok; }

// ...each frame the host sends is echoed; stream_close ends it with StreamEnd.
Status chat_data(nr::Session &session, ByteView data) {
    session.responder().frame(data);
    return Status::Ok;
}

{% if cookiecutter.abi == "1" %}
// state (raw): stores the payload under "k" for this sid and answers what reads back.
Status state(const nr::Request &req, nr::Responder &res) {
    if (!nr::state_available()) {
        res.reply(Status::Unsupported, "the host offers no state extension");
        return Status::Ok;
    }
    if (!res.set_state("k", req.payload())) return Status::Err;
    res.ok(res.get_state("k").value_or(ByteView()));
    return Status::Ok;
}
{% endif %}

// panic (panic_async on a background thread): the panic-safety probe. The SDK catches
// the exception at the boundary and answers {% if cookiecutter.abi == "2" %}Panic{% else %}Err{% endif %}. Registered with plugin.probe(), it
// answers Unsupported unless NYLON_RING_ENABLE_PROBES=1 was set when init ran.
Status panic_probe(const nr::Request &, nr::Responder &) {
    throw std::runtime_error("panic probe: the handler threw on purpose");
}
{% for name in cookiecutter.extra_entries.split(",") if name.strip() %}

// {{ name.strip() }} (unary): a stub; answers Ok with its own name.
Status entry_{{ name.strip() }}(const nr::Request &, nr::Responder &res) {
    res.ok("{{ name.strip() }}");
    return Status::Ok;
}
{% endfor %}

}  // namespace

NYLON_RING_PLUGIN("{{ cookiecutter.project_name }}", "{{ cookiecutter.version }}", plugin) {
    // Each sample() is a call and its answer, written into the manifest the library embeds.
{% if cookiecutter.abi == "2" %}
    plugin.unary("hello", hello).sample("world", "hello, world")
        .unary("echo", echo).sample("hi", "hi")
        .unary("echo_async", echo, nr::Run::Background).sample(std::string("\0\xff\x10", 3), std::string("\0\xff\x10", 3))
        .unary("echo_owned", echo_owned).sample("owned", "owned")
        .unary("echo_lease", echo_lease).sample("leased", "leased")
        .stream("count", count).sample_frames("3", {"0", "1", "2"})
        .bidi("chat", chat_open, chat_data).sample_frames("", {"a", "b"}, {"a", "b"})
        .probe("panic", panic_probe)
        .probe("panic_async", panic_probe, nr::Run::Background);
{% else %}
    plugin.unary("hello", hello).with_request().sample("world", "GET / world")
        .unary("echo", echo).sample("hi", "hi")
        .unary("echo_async", echo, nr::Run::Background).sample(std::string("\0\xff\x10", 3), std::string("\0\xff\x10", 3))
        .stream("count", count).sample_frames("3", {"0", "1", "2"})
        .bidi("chat", chat_open, chat_data).sample_frames("", {"a", "b"}, {"a", "b"})
        .unary("state", state).sample("kept", "kept")
        .probe("panic", panic_probe)
        .probe("panic_async", panic_probe, nr::Run::Background);
{% endif %}
{% for name in cookiecutter.extra_entries.split(",") if name.strip() %}
    plugin.unary("{{ name.strip() }}", entry_{{ name.strip() }}).sample("", "{{ name.strip() }}");
{% endfor %}
}

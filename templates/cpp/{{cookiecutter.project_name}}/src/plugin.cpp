// {{ cookiecutter.project_name }}: a nylon-ring plugin in C++17.
//
// Each entry is a function registered in the NYLON_RING_PLUGIN block at the end of
// this file. Write your own the same way: answer through the Responder (ok/reply for
// unary calls, frame + end for streams), or return an error status without answering
// to reject the call. The SDK in sdk/ keeps the ABI's rules (see sdk/nr_plugin.hpp).
#include <algorithm>
#include <charconv>
#include <stdexcept>
#include <string>

#include "nr_plugin.hpp"

namespace nr = nylon_ring::sdk;
using nylon_ring::ByteView;
using nylon_ring::Status;

namespace {

// hello (unary, needs the request): "<method> <path> " + payload, put together on the
// stack when it is small (a std::string would allocate on every call).
Status hello(const nr::Request &req, nr::Responder &res) {
    if (!req.has_metadata()) return Status::Invalid;
    const std::string_view parts[] = {req.method(), " ", req.path(), " ", req.text()};
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

// echo (raw; echo_async runs the same function on a background thread): the payload back.
Status echo(const nr::Request &req, nr::Responder &res) {
    res.ok(req.payload());
    return Status::Ok;
}

// count (stream): payload N gives frames "0".."N-1", then StreamEnd; no number: Invalid.
Status count(const nr::Request &req, nr::Responder &res) {
    std::string_view text = req.text();
    long n = -1;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || n < 0 || n > 1000000) {
        return Status::Invalid;  // rejected: nothing is sent
    }
    for (long i = 0; i < n; ++i) {
        char digits[24];
        const char *last = std::to_chars(digits, digits + sizeof(digits), i).ptr;
        res.frame(std::string_view(digits, static_cast<std::size_t>(last - digits)));
    }
    res.end();
    return Status::Ok;
}

// chat (bidirectional): accepting the stream is all the open does...
Status chat_open(const nr::Request &, nr::Session &) { return Status::Ok; }

// ...each frame the host sends is echoed; stream_close ends it with StreamEnd.
Status chat_data(nr::Session &session, ByteView data) {
    session.responder().frame(data);
    return Status::Ok;
}

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

// panic (raw; panic_async on a background thread): the panic-safety probe. The SDK
// catches the exception at the boundary and answers Err.
Status panic_probe(const nr::Request &, nr::Responder &) {
    throw std::runtime_error("panic probe: the handler threw on purpose");
}
{% for name in cookiecutter.extra_entries.split(",") if name.strip() %}

// {{ name.strip() }} (raw): a stub; answers Ok with its own name.
Status entry_{{ name.strip() }}(const nr::Request &, nr::Responder &res) {
    res.ok("{{ name.strip() }}");
    return Status::Ok;
}
{% endfor %}

}  // namespace

NYLON_RING_PLUGIN("{{ cookiecutter.project_name }}", "{{ cookiecutter.version }}", plugin) {
    plugin.unary("hello", hello)
        .unary("echo", echo)
        .unary("echo_async", echo, nr::Run::Background)
        .stream("count", count)
        .bidi("chat", chat_open, chat_data)
        .unary("state", state)
        .unary("panic", panic_probe)
        .unary("panic_async", panic_probe, nr::Run::Background);
{% for name in cookiecutter.extra_entries.split(",") if name.strip() %}
    plugin.unary("{{ name.strip() }}", entry_{{ name.strip() }});
{% endfor %}
}

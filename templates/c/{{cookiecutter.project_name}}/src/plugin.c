/*
 * {{ cookiecutter.project_name }}: a nylon-ring plugin in C.
 *
 * Each entry below is one handler in the table at the end of this file. Write your
 * own the same way: answer with nrp_reply (unary) or nrp_frame + nrp_end (streams),
 * or return Err/Invalid/Unsupported without answering to reject the call. The SDK
 * in sdk/ keeps the ABI's rules (see sdk/nr_plugin.h).
 */
#include <stdlib.h>
#include <string.h>

#include "nr_plugin.h"

{% if cookiecutter.abi == "2" %}
/* hello (unary): "hello, " + payload. */
static NrStatus hello(NrpCall *call) {
    static const char greeting[] = "hello, ";
    NrBytes body = nrp_payload(call);
    size_t len = sizeof(greeting) - 1 + (size_t)body.len;
    char small[256];
    char *out = len <= sizeof(small) ? small : malloc(len);
    if (out == NULL) return NR_STATUS_ERR;
    memcpy(out, greeting, sizeof(greeting) - 1);
    memcpy(out + sizeof(greeting) - 1, body.ptr, (size_t)body.len);
    nrp_reply(call, NR_STATUS_OK, out, len);
    if (out != small) free(out);
    return NR_STATUS_OK;
}
{% else %}
/* hello (unary, needs the request): "<method> <path> " + payload. */
static NrStatus hello(NrpCall *call) {
    if (!nrp_has_request(call)) return NR_STATUS_INVALID;
    NrStr method = nrp_method(call), path = nrp_path(call);
    NrBytes body = nrp_payload(call);
    size_t len = (size_t)method.len + 1 + path.len + 1 + (size_t)body.len;
    char small[256];
    char *out = len <= sizeof(small) ? small : malloc(len);
    if (out == NULL) return NR_STATUS_ERR;
    char *p = out;
    memcpy(p, method.ptr, method.len);
    p += method.len;
    *p++ = ' ';
    memcpy(p, path.ptr, path.len);
    p += path.len;
    *p++ = ' ';
    memcpy(p, body.ptr, (size_t)body.len);
    nrp_reply(call, NR_STATUS_OK, out, len);
    if (out != small) free(out);
    return NR_STATUS_OK;
}
{% endif %}

/* echo ({% if cookiecutter.abi != "2" %}raw; {% endif %} echo_async runs the same handler on a background thread): the payload back. */
static NrStatus echo(NrpCall *call) {
    NrBytes body = nrp_payload(call);
    nrp_reply(call, NR_STATUS_OK, body.ptr, (size_t)body.len);
    return NR_STATUS_OK;
}
{% if cookiecutter.abi == "2" %}

/* Gives echo_owned's copy back: the host calls it once it is done with the bytes. */
static void release_copy(void *owner, const uint8_t *data, uint64_t len) {
    (void)data;
    (void)len;
    free(owner);
}

/* echo_owned: the payload back without a copy on the way out (send_result_owned). */
static NrStatus echo_owned(NrpCall *call) {
    NrBytes body = nrp_payload(call);
    uint8_t *copy = malloc(body.len != 0 ? (size_t)body.len : 1);
    if (copy == NULL) return NR_STATUS_ERR;
    memcpy(copy, body.ptr, (size_t)body.len);
    nrp_reply_owned(call, NR_STATUS_OK, copy, (size_t)body.len, release_copy, copy);
    return NR_STATUS_OK;
}

/* echo_lease: the payload written straight into a buffer the host lends; without a lease, a plain answer. */
static NrStatus echo_lease(NrpCall *call) {
    NrBytes body = nrp_payload(call);
    NrpLease lease;
    if (!nrp_lease_acquire(call, (size_t)body.len, &lease)) {
        nrp_reply(call, NR_STATUS_OK, body.ptr, (size_t)body.len);
        return NR_STATUS_OK;
    }
    memcpy(lease.data, body.ptr, (size_t)body.len);
    nrp_lease_commit(call, NR_STATUS_OK, &lease, (size_t)body.len);
    return NR_STATUS_OK;
}
{% endif %}

/* A decimal count of at most 1,000,000; -1 when the payload is not one. */
static long parse_count(NrBytes payload) {
    if (payload.len == 0 || payload.len > 7) return -1;
    long n = 0;
    for (size_t i = 0; i < payload.len; i++) {
        if (payload.ptr[i] < '0' || payload.ptr[i] > '9') return -1;
        n = n * 10 + (payload.ptr[i] - '0');
    }
    return n <= 1000000 ? n : -1;
}

/* Writes `value` in decimal so that it ends at `end`; returns where it starts (snprintf costs far more per frame). */
static char *format_decimal(char *end, unsigned long value) {
    do {
        *--end = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    return end;
}

{% if cookiecutter.abi == "2" %}
/* count's check, on the host's thread: a payload that is not a count is rejected with Invalid (nothing is sent). */
static NrStatus count_accept(NrBytes payload) { return parse_count(payload) >= 0 ? NR_STATUS_OK : NR_STATUS_INVALID; }

/*
 * count (stream, in the background): payload N gives frames "0".."N-1", then StreamEnd.
 * It runs on a worker so that nrp_frame_wait can wait while the host's stream queue is
 * full (Backpressure) instead of losing frames.
 */
static NrStatus count(NrpCall *call) {
    long n = parse_count(nrp_payload(call));
    for (long i = 0; i < n; i++) {
        char digits[24];
        char *start = format_decimal(digits + sizeof(digits), (unsigned long)i);
        NrpSend sent = nrp_frame_wait(call, start, (size_t)(digits + sizeof(digits) - start));
        if (sent != NRP_SENT) {
            nrp_fail(call, NR_STATUS_ERR, "the host took no more frames");
            return NR_STATUS_OK;
        }
    }
    nrp_end(call);
    return NR_STATUS_OK;
}
{% else %}
/* count (stream): payload N gives frames "0".."N-1", then StreamEnd; no number: Invalid. */
static NrStatus count(NrpCall *call) {
    long n = parse_count(nrp_payload(call));
    if (n < 0) return NR_STATUS_INVALID; /* rejected: nothing is sent */
    for (long i = 0; i < n; i++) {
        char digits[24];
        char *start = format_decimal(digits + sizeof(digits), (unsigned long)i);
        nrp_frame(call, start, (size_t)(digits + sizeof(digits) - start));
    }
    nrp_end(call);
    return NR_STATUS_OK;
}
{% endif %}

/* chat (bidirectional): accepting the stream is all the start does... */
static NrStatus chat_open(NrpCall *call) {
    (void)call;
    return NR_STATUS_OK;
}

/* ...each frame the host sends is echoed; stream_close ends it with StreamEnd. */
static NrStatus chat_data(NrpCall *call, NrBytes data) {
    nrp_frame(call, data.ptr, (size_t)data.len);
    return NR_STATUS_OK;
}

{% if cookiecutter.abi != "2" %}
/* state (raw): stores the payload under "k" for this sid and answers what reads back. */
static NrStatus state(NrpCall *call) {
    if (!nrp_state_available()) {
        nrp_reply_str(call, NR_STATUS_UNSUPPORTED, "the host offers no state extension");
        return NR_STATUS_OK;
    }
    NrBytes body = nrp_payload(call), got;
    if (!nrp_state_set(call, "k", body.ptr, (size_t)body.len, NULL) || !nrp_state_get(call, "k", &got)) {
        return NR_STATUS_ERR;
    }
    nrp_reply(call, NR_STATUS_OK, got.ptr, (size_t)got.len);
    return NR_STATUS_OK;
}
{% endif %}

{% if cookiecutter.abi == "2" %}
/*
 * panic (panic_async on a background thread): the panic-safety probe. C has no
 * exceptions; nrp_panic unwinds to the SDK boundary, which answers Panic. Both are
 * marked .probe: they answer Unsupported unless NYLON_RING_ENABLE_PROBES=1 at init.
 */
{% else %}
/*
 * panic (raw; panic_async on a background thread): the panic-safety probe. C has no
 * exceptions; nrp_panic unwinds to the SDK boundary, which answers Err.
 */
{% endif %}
static NrStatus panic_probe(NrpCall *call) {
    nrp_panic(call, "panic probe: the handler failed on purpose");
}
{% for name in cookiecutter.extra_entries.split(",") if name.strip() %}

/* {{ name.strip() }} ({{ "unary" if cookiecutter.abi == "2" else "raw" }}): a stub; answers Ok with its own name. */
static NrStatus entry_{{ name.strip() }}(NrpCall *call) {
    nrp_reply_str(call, NR_STATUS_OK, "{{ name.strip() }}");
    return NR_STATUS_OK;
}
{% endfor %}

/*
 * The entry table: what the SDK routes, and what its embedded manifest (the
 * nylon_ring_manifest() export, read by `nylon-ring conformance`) declares. `.manifest`
 * holds an entry's sample payload and the answer it must give.
 */
static const NrpEntry entries[] = {
{% if cookiecutter.abi == "2" %}
    {.name = "hello", .kind = NRP_UNARY, .start = hello,
     .manifest = "payload = \"world\"\nexpect_status = \"Ok\"\nexpect = \"hello, world\""},
    {.name = "echo", .kind = NRP_UNARY, .start = echo, .manifest = "payload = \"hi\"\nexpect_status = \"Ok\"\nexpect = \"hi\""},
    {.name = "echo_async", .kind = NRP_UNARY, .run = NRP_BACKGROUND, .start = echo,
     .manifest = "payload_hex = \"00ff10\"\nexpect_status = \"Ok\"\nexpect_hex = \"00ff10\""},
    {.name = "echo_owned", .kind = NRP_UNARY, .start = echo_owned,
     .manifest = "payload = \"owned\"\nexpect_status = \"Ok\"\nexpect = \"owned\""},
    {.name = "echo_lease", .kind = NRP_UNARY, .start = echo_lease,
     .manifest = "payload = \"leased\"\nexpect_status = \"Ok\"\nexpect = \"leased\""},
    {.name = "count", .kind = NRP_STREAM, .run = NRP_BACKGROUND, .start = count, .accept = count_accept,
     .manifest = "payload = \"3\"\nexpect_frames = [\"0\", \"1\", \"2\"]\nexpect_terminal = \"StreamEnd\""},
    {.name = "chat", .kind = NRP_BIDI, .start = chat_open, .on_data = chat_data,
     .manifest = "payload = \"\"\nsend = [\"a\", \"b\"]\nexpect_frames = [\"a\", \"b\"]\nexpect_terminal = \"StreamEnd\""},
    {.name = "panic", .kind = NRP_UNARY, .start = panic_probe, .probe = true, .manifest = "payload = \"\""},
    {.name = "panic_async", .kind = NRP_UNARY, .run = NRP_BACKGROUND, .start = panic_probe, .probe = true,
     .manifest = "payload = \"\""},
{% else %}
    {.name = "hello", .kind = NRP_UNARY, .start = hello, .mode = "unary",
     .manifest = "payload = \"world\"\nrequest = { method = \"GET\", path = \"/hello\", query = \"a=1\", headers = { x-test = \"1\" } }\n"
                 "expect_status = \"Ok\"\nexpect = \"GET /hello world\""},
    {.name = "echo", .kind = NRP_UNARY, .start = echo, .manifest = "payload = \"hi\"\nexpect_status = \"Ok\"\nexpect = \"hi\""},
    {.name = "echo_async", .kind = NRP_UNARY, .run = NRP_BACKGROUND, .start = echo,
     .manifest = "payload_hex = \"00ff10\"\nexpect_status = \"Ok\"\nexpect_hex = \"00ff10\""},
    {.name = "count", .kind = NRP_STREAM, .start = count,
     .manifest = "payload = \"3\"\nexpect_frames = [\"0\", \"1\", \"2\"]\nexpect_terminal = \"StreamEnd\""},
    {.name = "chat", .kind = NRP_BIDI, .start = chat_open, .on_data = chat_data,
     .manifest = "payload = \"\"\nsend = [\"a\", \"b\"]\nexpect_frames = [\"a\", \"b\"]\nexpect_terminal = \"StreamEnd\""},
    {.name = "state", .kind = NRP_UNARY, .start = state,
     .manifest = "payload = \"kept\"\nexpect_status = \"Ok\"\nexpect = \"kept\""},
    {.name = "panic", .kind = NRP_UNARY, .start = panic_probe, .probe = true, .manifest = "payload = \"\""},
    {.name = "panic_async", .kind = NRP_UNARY, .run = NRP_BACKGROUND, .start = panic_probe, .probe = true,
     .manifest = "payload = \"\""},
{% endif %}
{% for name in cookiecutter.extra_entries.split(",") if name.strip() %}
    {.name = "{{ name.strip() }}", .kind = NRP_UNARY, .start = entry_{{ name.strip() }},
     .manifest = "payload = \"\"\nexpect_status = \"Ok\"\nexpect = \"{{ name.strip() }}\""},
{% endfor %}
};

const NrpPlugin nrp_plugin = {
    .name = "{{ cookiecutter.project_name }}",
    .version = "{{ cookiecutter.version }}",
    .entries = entries,
    .entry_count = NRP_COUNT(entries),
};

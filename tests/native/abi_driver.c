/*
 * A strict host written in C, linked together with a plugin's sources and built with
 * -fsanitize=address,undefined by the template tests. It feeds the plugin what a
 * careless or hostile host could (NULL pointers with lengths, NULL requests, invalid
 * UTF-8, unknown sids, shutdown with work in flight, calls after shutdown) and checks
 * every send_result against the ABI's contracts. It relies only on the entry names
 * every template has: hello, echo, echo_async, count, chat, state, panic, panic_async.
 *
 * Prints one line per failed check and exits 1 on any; exits 0 with "ok N checks".
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nylon_ring.h"

#define SLOTS 4096
#define KEEP 64
#define BASE_SID 0x100000000ull /* above 2^32: a sid kept in 32 bits comes back wrong */

typedef struct {
    bool used, unary, ended;
    int frames;
    NrStatus last;
    size_t len;
    unsigned char data[KEEP];
} SidLog;

static SidLog logs[SLOTS];
static uint64_t slot_sid[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static atomic_bool closed;
static int checks, failures;
static int host_token;
static uint64_t next_sid = BASE_SID;

#define CHECK(cond, ...)                                 \
    do {                                                 \
        checks++;                                        \
        if (!(cond)) {                                   \
            failures++;                                  \
            printf("FAIL line %d: ", __LINE__);          \
            printf(__VA_ARGS__);                         \
            printf("\n");                                \
        }                                                \
    } while (0)

static void violation(const char *what, uint64_t sid) {
    pthread_mutex_lock(&lock);
    failures++;
    printf("FAIL violation: %s (sid %llu)\n", what, (unsigned long long)sid);
    pthread_mutex_unlock(&lock);
}

/* ---------------------------------------------------------------- host callbacks */

static void send_result(void *ctx, uint64_t sid, NrStatus status, NrBytes payload) {
    if (ctx != &host_token) violation("send_result with a foreign host_ctx", sid);
    if (atomic_load(&closed)) violation("send_result after shutdown returned", sid);
    if (payload.ptr == NULL && payload.len != 0) violation("NULL payload with a length", sid);
    pthread_mutex_lock(&lock);
    SidLog *l = &logs[sid % SLOTS];
    if (!l->used || slot_sid[sid % SLOTS] != sid) {
        printf("FAIL violation: send_result for a sid never started (sid %llu)\n", (unsigned long long)sid);
        failures++;
    } else if (l->ended) {
        printf("FAIL violation: a frame after the terminal one (sid %llu)\n", (unsigned long long)sid);
        failures++;
    } else {
        l->frames++;
        l->last = status;
        l->len = (size_t)payload.len;
        memcpy(l->data, payload.len ? payload.ptr : (const uint8_t *)"", payload.len < KEEP ? (size_t)payload.len : KEEP);
        l->ended = l->unary || status != NR_STATUS_OK;
    }
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
}

typedef struct {
    uint64_t sid;
    char key[16];
    size_t len;
    unsigned char value[KEEP];
} StateSlot;

static StateSlot state[64];
static int state_used;

static NrBytes set_state(void *ctx, uint64_t sid, NrStr key, NrBytes value) {
    NrBytes out = {NULL, 0};
    if (ctx != &host_token || key.len >= 16 || value.len > KEEP || state_used == 64) return out;
    StateSlot *s = &state[state_used++];
    s->sid = sid;
    memcpy(s->key, key.ptr, key.len);
    s->key[key.len] = '\0';
    s->len = (size_t)value.len;
    if (value.len) memcpy(s->value, value.ptr, (size_t)value.len);
    out.ptr = s->value;
    out.len = s->len;
    return out;
}

static NrBytes get_state(void *ctx, uint64_t sid, NrStr key) {
    NrBytes out = {NULL, 0};
    for (int i = state_used - 1; ctx == &host_token && i >= 0; i--) {
        if (state[i].sid == sid && strlen(state[i].key) == key.len && memcmp(state[i].key, key.ptr, key.len) == 0) {
            out.ptr = state[i].value;
            out.len = state[i].len;
            return out;
        }
    }
    return out;
}

static const NrHostVTable host_vtable = {send_result};
static const NrHostExt host_ext = {set_state, get_state};

/* ---------------------------------------------------------------- helpers */

static const NrPluginVTable *vt;
static void *plugin_ctx;

static NrStr str(const char *s) {
    NrStr v = {(const uint8_t *)s, (uint32_t)strlen(s)};
    return v;
}

static NrBytes bytes(const char *s) {
    NrBytes v = {(const uint8_t *)s, strlen(s)};
    return v;
}

static uint64_t new_sid(bool unary) {
    pthread_mutex_lock(&lock);
    uint64_t sid = next_sid++;
    memset(&logs[sid % SLOTS], 0, sizeof(SidLog));
    logs[sid % SLOTS].used = true;
    logs[sid % SLOTS].unary = unary;
    slot_sid[sid % SLOTS] = sid;
    pthread_mutex_unlock(&lock);
    return sid;
}

/* A copy of the sid's log once it has ended (or after 20 s). */
static SidLog wait_end(uint64_t sid) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 20;
    pthread_mutex_lock(&lock);
    while (!logs[sid % SLOTS].ended) {
        if (pthread_cond_timedwait(&changed, &lock, &until) != 0) break;
    }
    SidLog copy = logs[sid % SLOTS];
    pthread_mutex_unlock(&lock);
    return copy;
}

static SidLog peek(uint64_t sid) {
    pthread_mutex_lock(&lock);
    SidLog copy = logs[sid % SLOTS];
    pthread_mutex_unlock(&lock);
    return copy;
}

static bool answer_is(SidLog l, NrStatus status, const char *data) {
    return l.ended && l.last == status && l.len == strlen(data) && memcmp(l.data, data, l.len) == 0;
}

static NrRequest request(const char *method, const char *path, const NrHeader *headers, uint32_t n) {
    NrRequest r;
    memset(&r, 0, sizeof(r));
    r.method = str(method);
    r.path = str(path);
    r.query = str("");
    r.headers = headers;
    r.headers_len = n;
    return r;
}

static NrStatus raw(const char *entry, uint64_t sid, NrBytes payload) {
    return vt->handle_raw(plugin_ctx, str(entry), sid, payload);
}

/* ---------------------------------------------------------------- checks */

static void good_calls(void) {
    NrHeader h[1] = {{str("x-test"), str("1")}};
    NrRequest req = request("GET", "/hello", h, 1);
    uint64_t sid = new_sid(true);
    CHECK(vt->handle(plugin_ctx, str("hello"), sid, &req, bytes("world")) == NR_STATUS_OK, "hello accepted");
    CHECK(answer_is(wait_end(sid), NR_STATUS_OK, "GET /hello world"), "hello answer");

    sid = new_sid(true);
    CHECK(raw("echo", sid, bytes("hi")) == NR_STATUS_OK && answer_is(wait_end(sid), NR_STATUS_OK, "hi"), "echo");
    sid = new_sid(true);
    CHECK(raw("echo_async", sid, bytes("later")) == NR_STATUS_OK && answer_is(wait_end(sid), NR_STATUS_OK, "later"),
          "echo_async");

    sid = new_sid(false);
    CHECK(raw("count", sid, bytes("3")) == NR_STATUS_OK, "count accepted");
    SidLog l = wait_end(sid);
    CHECK(l.frames == 4 && l.last == NR_STATUS_STREAM_END, "count: 3 frames then StreamEnd (got %d frames)", l.frames);
    sid = new_sid(false);
    CHECK(raw("count", sid, bytes("x3")) == NR_STATUS_INVALID && peek(sid).frames == 0, "count rejects a non-number");

    sid = new_sid(true);
    CHECK(raw("state", sid, bytes("kept")) == NR_STATUS_OK && answer_is(wait_end(sid), NR_STATUS_OK, "kept"), "state");

    sid = new_sid(true);
    CHECK(raw("panic", sid, bytes("")) != NR_STATUS_OK || wait_end(sid).last == NR_STATUS_ERR, "panic answers Err");
    sid = new_sid(true);
    CHECK(raw("panic_async", sid, bytes("")) != NR_STATUS_OK || wait_end(sid).last == NR_STATUS_ERR,
          "panic_async answers Err");
}

static void bidi(void) {
    uint64_t sid = new_sid(false);
    NrBytes null_data = {NULL, 4};
    NrBytes empty = {NULL, 0};
    CHECK(raw("chat", sid, bytes("")) == NR_STATUS_OK, "chat opens");
    CHECK(vt->stream_data(plugin_ctx, sid, bytes("a")) == NR_STATUS_OK, "chat takes a frame");
    CHECK(vt->stream_data(plugin_ctx, sid, null_data) == NR_STATUS_INVALID, "NULL data with a length is Invalid");
    CHECK(vt->stream_data(plugin_ctx, sid, empty) == NR_STATUS_OK, "NULL data of length 0 is an empty frame");
    CHECK(vt->stream_close(plugin_ctx, sid) == NR_STATUS_OK, "chat closes");
    SidLog l = wait_end(sid);
    CHECK(l.frames == 3 && l.last == NR_STATUS_STREAM_END, "chat: two echoes then StreamEnd (got %d)", l.frames);
    CHECK(vt->stream_data(plugin_ctx, sid, bytes("late")) == NR_STATUS_INVALID, "data after the end is Invalid");
    CHECK(vt->stream_close(plugin_ctx, sid) == NR_STATUS_INVALID, "a second close is Invalid");
    CHECK(vt->stream_data(plugin_ctx, 12345, bytes("?")) == NR_STATUS_INVALID, "unknown sid: stream_data Invalid");
    CHECK(vt->stream_close(plugin_ctx, 12345) == NR_STATUS_INVALID, "unknown sid: stream_close Invalid");
}

static void bad_input(void) {
    NrStr null_name = {NULL, 5};
    NrStr empty_name = {NULL, 0};
    NrStr bad_utf8 = {(const uint8_t *)"\xff\xfe\xc0\xaf", 4};
    NrBytes null_payload = {NULL, 3};
    NrBytes empty_payload = {NULL, 0};
    uint64_t sid = new_sid(true);
    CHECK(vt->handle(plugin_ctx, str("hello"), sid, NULL, bytes("x")) == NR_STATUS_INVALID, "NULL request is Invalid");
    CHECK(vt->handle_raw(plugin_ctx, null_name, sid, bytes("x")) == NR_STATUS_INVALID, "NULL entry with a length");
    CHECK(vt->handle_raw(plugin_ctx, empty_name, sid, bytes("x")) == NR_STATUS_UNSUPPORTED, "empty entry name");
    CHECK(vt->handle_raw(plugin_ctx, bad_utf8, sid, bytes("x")) == NR_STATUS_INVALID, "invalid UTF-8 entry name");
    CHECK(vt->handle_raw(plugin_ctx, str("no_such_entry"), sid, bytes("x")) == NR_STATUS_UNSUPPORTED, "unknown entry");
    CHECK(vt->handle_raw(plugin_ctx, str("echo"), sid, null_payload) == NR_STATUS_INVALID, "NULL payload with a length");
    CHECK(peek(sid).frames == 0, "rejected calls send nothing");

    sid = new_sid(true);
    CHECK(raw("echo", sid, empty_payload) == NR_STATUS_OK && answer_is(wait_end(sid), NR_STATUS_OK, ""),
          "NULL payload of length 0 is an empty payload");
    sid = new_sid(true);
    CHECK(raw("echo_async", sid, empty_payload) == NR_STATUS_OK && answer_is(wait_end(sid), NR_STATUS_OK, ""),
          "empty payload on a background thread");

    NrRequest req = request("GET", "/hello", NULL, 2); /* headers NULL with a count */
    sid = new_sid(true);
    CHECK(vt->handle(plugin_ctx, str("hello"), sid, &req, bytes("x")) == NR_STATUS_INVALID, "NULL headers with a count");
    req = request("GET", "/hello", NULL, 0);
    req.method.ptr = NULL; /* NULL method with a length */
    CHECK(vt->handle(plugin_ctx, str("hello"), sid, &req, bytes("x")) == NR_STATUS_INVALID, "NULL method with a length");
    req = request("", "", NULL, 0);
    req.method.ptr = NULL;
    req.path.ptr = NULL; /* NULL views of length 0 are empty strings */
    CHECK(vt->handle(plugin_ctx, str("hello"), sid, &req, bytes("z")) == NR_STATUS_OK &&
              answer_is(wait_end(sid), NR_STATUS_OK, "  z"),
          "NULL views of length 0 read as empty");
    NrHeader h[1] = {{str("x-\xff"), str("\xfe")}}; /* invalid UTF-8 in headers is data, not a crash */
    req = request("G\xc3", "/\xff", h, 1);
    sid = new_sid(true);
    CHECK(vt->handle(plugin_ctx, str("hello"), sid, &req, bytes("\xff")) == NR_STATUS_OK && wait_end(sid).ended,
          "invalid UTF-8 in the request is answered");
    sid = new_sid(true);
    CHECK(raw("hello", sid, bytes("x")) == NR_STATUS_INVALID, "hello without a request is Invalid");
}

static void shutdown_with_work_in_flight(void) {
    enum { N = 32 };
    uint64_t sids[N];
    for (int i = 0; i < N; i++) {
        sids[i] = new_sid(true);
        CHECK(raw("echo_async", sids[i], bytes("busy")) == NR_STATUS_OK, "echo_async accepted");
    }
    uint64_t open_chat = new_sid(false);
    CHECK(raw("chat", open_chat, bytes("")) == NR_STATUS_OK, "chat opens before shutdown");
    vt->shutdown(plugin_ctx);
    atomic_store(&closed, true);
    for (int i = 0; i < N; i++) CHECK(answer_is(peek(sids[i]), NR_STATUS_OK, "busy"), "answered before shutdown returned");
    CHECK(peek(open_chat).ended, "an open stream is ended by shutdown");
    uint64_t sid = new_sid(true);
    NrStatus after = raw("echo", sid, bytes("x"));
    CHECK(after != NR_STATUS_OK && peek(sid).frames == 0, "calls after shutdown are refused");
    CHECK(vt->stream_data(plugin_ctx, open_chat, bytes("x")) == NR_STATUS_INVALID, "stream_data after shutdown");
}

int main(void) {
    const NrPluginInfo *info = nylon_ring_get_plugin_v1();
    CHECK(info != NULL && info->abi_version == NR_ABI_VERSION && info->struct_size == sizeof(NrPluginInfo), "plugin info");
    vt = info->vtable;
    plugin_ctx = info->plugin_ctx;
    CHECK(vt->init(plugin_ctx, &host_token, NULL) != NR_STATUS_OK, "init without a host vtable fails");
    nylon_ring_set_host_ext_v1(&host_ext);
    CHECK(vt->init(plugin_ctx, &host_token, &host_vtable) == NR_STATUS_OK, "init");
    good_calls();
    bidi();
    bad_input();
    shutdown_with_work_in_flight();
    /* a second life in the same process: the library is never unloaded by hosts */
    atomic_store(&closed, false);
    CHECK(vt->init(plugin_ctx, &host_token, &host_vtable) == NR_STATUS_OK, "init again after shutdown");
    uint64_t sid = new_sid(true);
    CHECK(raw("state", sid, bytes("v")) == NR_STATUS_OK && wait_end(sid).last == NR_STATUS_UNSUPPORTED,
          "without a new host extension, state answers Unsupported");
    sid = new_sid(true);
    CHECK(raw("echo_async", sid, bytes("again")) == NR_STATUS_OK && answer_is(wait_end(sid), NR_STATUS_OK, "again"),
          "background work after re-init");
    vt->shutdown(plugin_ctx);
    if (failures) {
        printf("%d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("ok %d checks\n", checks);
    return 0;
}

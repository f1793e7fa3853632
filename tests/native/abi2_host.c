/*
 * A strict ABI 2 host written in C. It dlopens a plugin (argv[1]) that has the ABI 2
 * scaffold entries (hello, echo, echo_async, echo_owned, echo_lease, count, chat, panic,
 * panic_async) and checks every callback against the ABI's contracts: one answer per
 * unary sid, one terminal frame per stream and nothing after it, nothing after
 * shutdown, owned bytes unchanged until they are released exactly once (from another
 * thread), leases committed within their capacity and only once. It feeds the plugin
 * what a careless host could (NULL pointers with lengths, invalid UTF-8, unknown sids
 * and ids), keeps stream queues small so that Backpressure is answered, calls
 * echo_async from several threads at once with distinct payloads, and shuts down with
 * work in flight. The template tests build it with -fsanitize=address,undefined.
 *
 * Prints one line per failed check and exits 1 on any; exits 0 with "ok N checks".
 */
#define _POSIX_C_SOURCE 200809L

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nylon_ring.h"

#define SLOTS 65536
#define FRAMES 4096
#define BASE_SID 0x100000000ull /* above 2^32: a sid kept in 32 bits comes back wrong */

typedef struct {
    NrStatus status;
    size_t len;
    unsigned char *data;
} Frame;

typedef struct {
    bool used, stream, ended, in_handle, lease_out;
    int path; /* 0 copy, 1 owned, 2 lease */
    int frames, consumed, capacity;
    Frame *frame;
    char expect[32]; /* the payload an echo call was made with */
    size_t expect_len;
    unsigned char *lease;
    uint64_t lease_cap, lease_token;
} SidLog;

static SidLog *logs;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static atomic_bool closed;
static _Thread_local bool inside_handle;
static int checks, failures;
static int host_token;
static uint64_t next_sid = BASE_SID;
static int queue_cap = 1000000;      /* frames a stream holds before Backpressure */
static bool refuse_leases;
static int backpressured, leases_granted, owned_sent, owned_released;
static const NrPluginVTable *vt;

#define CHECK(cond, ...)                        \
    do {                                        \
        bool check_ok_ = (cond);                \
        pthread_mutex_lock(&lock);              \
        checks++;                               \
        if (!check_ok_) {                       \
            failures++;                         \
            printf("FAIL line %d: ", __LINE__); \
            printf(__VA_ARGS__);                \
            printf("\n");                       \
        }                                       \
        pthread_mutex_unlock(&lock);            \
    } while (0)

static void violation_locked(const char *what, uint64_t sid) {
    failures++;
    printf("FAIL violation: %s (sid %llu)\n", what, (unsigned long long)sid);
}

static SidLog *log_of(uint64_t sid) {
    if (sid < BASE_SID || sid - BASE_SID >= SLOTS) return NULL;
    SidLog *l = &logs[sid - BASE_SID];
    return l->used ? l : NULL;
}

static uint64_t new_sid(bool stream) {
    pthread_mutex_lock(&lock);
    uint64_t sid = next_sid++;
    SidLog *l = &logs[sid - BASE_SID];
    memset(l, 0, sizeof *l);
    l->used = true;
    l->stream = stream;
    pthread_mutex_unlock(&lock);
    return sid;
}

static bool terminal(NrStatus s) { return s != NR_STATUS_OK && s != NR_STATUS_BACKPRESSURE; }

/* Records one frame; Backpressure when a stream's queue is full. */
static NrStatus record(void *ctx, uint64_t sid, NrStatus status, const uint8_t *ptr, size_t len, int path) {
    pthread_mutex_lock(&lock);
    NrStatus answer = NR_STATUS_OK;
    SidLog *l = log_of(sid);
    if (ctx != &host_token) {
        violation_locked("wrong host_ctx", sid);
    } else if (atomic_load(&closed)) {
        violation_locked("send after shutdown", sid);
    } else if (l == NULL) {
        violation_locked("unknown sid", sid);
        answer = NR_STATUS_INVALID;
    } else if (l->ended) {
        violation_locked(l->stream ? "frame after the terminal frame" : "second unary answer", sid);
        answer = NR_STATUS_INVALID;
    } else if (status > NR_STATUS_BACKPRESSURE || status == NR_STATUS_BACKPRESSURE) {
        violation_locked("status out of range", sid);
    } else if (ptr == NULL && len != 0) {
        violation_locked("NULL payload with a length", sid);
    } else if (l->stream && l->frames - l->consumed >= queue_cap) {
        backpressured++;
        answer = NR_STATUS_BACKPRESSURE;
    } else if (l->frames >= FRAMES) {
        violation_locked("too many frames", sid);
    } else {
        if (l->frames == l->capacity) {
            l->capacity = l->capacity ? 2 * l->capacity : 4;
            l->frame = realloc(l->frame, (size_t)l->capacity * sizeof *l->frame);
        }
        Frame *f = &l->frame[l->frames++];
        f->status = status;
        f->len = len;
        f->data = malloc(len + 1);
        if (len) memcpy(f->data, ptr, len);
        l->in_handle = inside_handle;
        l->path = path;
        l->ended = !l->stream || terminal(status);
        if (l->lease_out && l->ended) {  /* answered another way: the lease goes with it */
            free(l->lease);
            l->lease = NULL;
            l->lease_out = false;
        }
    }
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&lock);
    return answer;
}

static NrStatus host_send(void *ctx, uint64_t sid, NrStatus status, NrVecU8 payload) {
    if (payload.owned) {
        pthread_mutex_lock(&lock);
        violation_locked("owned NrVecU8 (the SDK sends borrowed buffers)", sid);
        pthread_mutex_unlock(&lock);
    }
    return record(ctx, sid, status, payload.ptr, payload.len, 0);
}

/* ---- owned answers: released later, from another thread, after checking the bytes did not change ---- */

typedef struct Owned {
    NrOwnedBytes bytes;
    unsigned char *copy;
    struct Owned *next;
} Owned;

static Owned *to_release;
static pthread_t releaser;
static atomic_bool releaser_stop;

static NrStatus host_send_owned(void *ctx, uint64_t sid, NrStatus status, NrOwnedBytes payload) {
    NrStatus answer = record(ctx, sid, status, payload.ptr, payload.len, 1);
    Owned *o = calloc(1, sizeof *o);
    o->bytes = payload;
    o->copy = malloc(payload.len + 1);
    if (payload.len) memcpy(o->copy, payload.ptr, payload.len);
    pthread_mutex_lock(&lock);
    owned_sent++;
    o->next = to_release;
    to_release = o;
    pthread_mutex_unlock(&lock);
    return answer;
}

static void release_all(void) {
    pthread_mutex_lock(&lock);
    Owned *list = to_release;
    to_release = NULL;
    pthread_mutex_unlock(&lock);
    while (list) {
        Owned *o = list;
        list = o->next;
        bool same = o->bytes.len == 0 || memcmp(o->copy, o->bytes.ptr, o->bytes.len) == 0;
        CHECK(same, "owned bytes changed before release");
        if (o->bytes.release) o->bytes.release(o->bytes.owner_ctx, o->bytes.ptr, o->bytes.len);
        pthread_mutex_lock(&lock);
        owned_released++;
        pthread_mutex_unlock(&lock);
        free(o->copy);
        free(o);
    }
}

static void *release_loop(void *arg) {
    (void)arg;
    while (!atomic_load(&releaser_stop)) {
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
        release_all();
    }
    return NULL;
}

/* ---- leases ---- */

static NrBufferLease host_acquire(void *ctx, uint64_t sid, uint64_t capacity) {
    NrBufferLease lease = {0};
    pthread_mutex_lock(&lock);
    SidLog *l = log_of(sid);
    if (ctx == &host_token && !refuse_leases && l && !l->stream && !l->ended && !l->lease_out &&
        capacity < (1u << 26)) {
        l->lease = malloc(capacity + 1);
        l->lease_cap = capacity + 1;
        l->lease_token = 0x5EED0000u + sid;
        l->lease_out = true;
        leases_granted++;
        lease.ptr = l->lease;
        lease.cap = l->lease_cap;
        lease.token = l->lease_token;
    }
    pthread_mutex_unlock(&lock);
    return lease;
}

static NrStatus host_commit(void *ctx, uint64_t sid, NrStatus status, uint64_t token, uint64_t len) {
    pthread_mutex_lock(&lock);
    SidLog *l = log_of(sid);
    bool good = ctx == &host_token && l && l->lease_out && token == l->lease_token && len <= l->lease_cap;
    if (l && !l->lease_out) violation_locked("commit of a lease that is not out", sid);
    unsigned char *buffer = good ? l->lease : NULL;
    if (good) {
        l->lease = NULL;
        l->lease_out = false;
    }
    pthread_mutex_unlock(&lock);
    if (!good) return NR_STATUS_INVALID;
    NrStatus answer = record(ctx, sid, status, buffer, (size_t)len, 2);
    free(buffer);
    return answer;
}

static const NrHostVTable host_vtable = {host_send, host_send_owned, host_acquire, host_commit};

/* ---- calling the plugin ---- */

static NrStr str_n(const char *s, size_t n) {
    NrStr out = {(const uint8_t *)s, (uint32_t)n, 0};
    return out;
}
static NrStr str(const char *s) { return str_n(s, strlen(s)); }
static NrBytes bytes_n(const void *p, size_t n) {
    NrBytes out = {(const uint8_t *)p, n};
    return out;
}
static NrBytes bytes(const char *s) { return bytes_n(s, strlen(s)); }

static NrStatus handle(const char *entry, uint64_t sid, NrBytes payload) {
    inside_handle = true;
    NrStatus status = vt->handle(str(entry), sid, payload);
    inside_handle = false;
    return status;
}

/* Waits until sid has its answer (or terminal frame); false after 20 s. */
static bool wait_done(uint64_t sid) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 20;
    pthread_mutex_lock(&lock);
    SidLog *l = log_of(sid);
    while (l && !l->ended) {
        if (pthread_cond_timedwait(&changed, &lock, &until) != 0) break;
    }
    bool done = l && l->ended;
    pthread_mutex_unlock(&lock);
    return done;
}

/* Consumes stream frames slowly from another thread, so a small queue fills and drains. */
static void *drain(void *arg) {
    uint64_t sid = *(uint64_t *)arg;
    for (;;) {
        pthread_mutex_lock(&lock);
        SidLog *l = log_of(sid);
        bool finished = l->ended && l->consumed == l->frames;
        if (l->consumed < l->frames) l->consumed++;
        pthread_mutex_unlock(&lock);
        if (finished) return NULL;
        struct timespec t = {0, 200000};
        nanosleep(&t, NULL);
    }
}

static bool answer_is(uint64_t sid, NrStatus status, const void *data, size_t len) {
    pthread_mutex_lock(&lock);
    SidLog *l = log_of(sid);
    bool ok = l && l->ended && l->frames == 1 && l->frame[0].status == status && l->frame[0].len == len &&
              (len == 0 || memcmp(l->frame[0].data, data, len) == 0);
    pthread_mutex_unlock(&lock);
    return ok;
}

static int frames_of(uint64_t sid) {
    pthread_mutex_lock(&lock);
    SidLog *l = log_of(sid);
    int n = l ? l->frames : -1;
    pthread_mutex_unlock(&lock);
    return n;
}

static uint64_t unary(const char *entry, const void *payload, size_t len, NrStatus *handle_status) {
    uint64_t sid = new_sid(false);
    *handle_status = handle(entry, sid, bytes_n(payload, len));
    if (*handle_status == NR_STATUS_OK) wait_done(sid);
    return sid;
}

static void check_echo(const char *entry, const void *payload, size_t len, int path, bool in_handle) {
    NrStatus hs;
    uint64_t sid = unary(entry, payload, len, &hs);
    CHECK(hs == NR_STATUS_OK && answer_is(sid, NR_STATUS_OK, payload, len), "%s: answered its payload", entry);
    pthread_mutex_lock(&lock);
    int got_path = logs[sid - BASE_SID].path;
    bool got_in = logs[sid - BASE_SID].in_handle;
    pthread_mutex_unlock(&lock);
    CHECK(got_path == path, "%s: answer path %d (expected %d)", entry, got_path, path);
    CHECK(got_in == in_handle, "%s: answered %s handle", entry, in_handle ? "inside" : "outside");
}

/* ---- the checks ---- */

typedef void (*AnyFn)(void);

/* A function symbol of the plugin, or NULL (dlsym's object pointer copied, as ISO C allows). */
static AnyFn symbol(void *lib, const char *name) {
    void *found = dlsym(lib, name);
    AnyFn fn = NULL;
    if (found) memcpy(&fn, &found, sizeof fn);
    return fn;
}

static void check_load(const NrPluginInfo *info, void *lib) {
    CHECK(info && info->abi_version == 2 && info->struct_size >= 56, "info: abi_version 2, struct_size >= 56");
    CHECK(info->vtable && info->vtable->init && info->vtable->handle && info->vtable->shutdown &&
              info->vtable->stream_data && info->vtable->stream_close,
          "vtable: every slot set");
    CHECK(info->vtable->resolve_entry && info->vtable->handle_by_id, "vtable: resolve_entry and handle_by_id set");
    CHECK(dlsym(lib, "nylon_ring_get_plugin_v1") == NULL, "no ABI 1 symbol");
    NrGetManifestFn manifest = (NrGetManifestFn)symbol(lib, "nylon_ring_manifest");
    CHECK(manifest && strstr((const char *)manifest(), "[[panic_probes]]"), "embedded manifest with panic probes");
}

static void check_init(void) {
    CHECK(vt->init(&host_token, NULL) == NR_STATUS_INVALID, "init with a NULL vtable: Invalid");
    NrHostVTable empty = {0};
    CHECK(vt->init(&host_token, &empty) == NR_STATUS_INVALID, "init without send_result: Invalid");
    CHECK(vt->init(&host_token, &host_vtable) == NR_STATUS_OK, "init");
}

static void check_unary(void) {
    NrStatus hs;
    uint64_t sid = unary("hello", "world", 5, &hs);
    CHECK(hs == NR_STATUS_OK && answer_is(sid, NR_STATUS_OK, "hello, world", 12), "hello");
    check_echo("echo", "hi\0there", 8, 0, true);
    check_echo("echo", "", 0, 0, true);
    check_echo("echo_async", "\x00\xff\x10", 3, 0, false);
    check_echo("echo_owned", "owned", 5, 1, true);
    check_echo("echo_owned", "", 0, 1, true);
    check_echo("echo_lease", "leased", 6, 2, true);
    size_t big = 16u << 20;
    unsigned char *blob = malloc(big);
    for (size_t i = 0; i < big; i++) blob[i] = (unsigned char)(i * 7);
    check_echo("echo", blob, big, 0, true);
    check_echo("echo_owned", blob, big, 1, true);
    check_echo("echo_lease", blob, big, 2, true);
    pthread_mutex_lock(&lock);
    refuse_leases = true;
    pthread_mutex_unlock(&lock);
    check_echo("echo_lease", "no lease", 8, 0, true); /* acquire failed: answered through send_result */
    pthread_mutex_lock(&lock);
    refuse_leases = false;
    pthread_mutex_unlock(&lock);
    free(blob);
}

static void check_streams(void) {
    uint64_t sid = new_sid(true);
    CHECK(handle("count", sid, bytes("3")) == NR_STATUS_OK && wait_done(sid), "count 3");
    pthread_mutex_lock(&lock);
    SidLog *l = &logs[sid - BASE_SID];
    bool ok = l->frames == 4 && l->frame[3].status == NR_STATUS_STREAM_END;
    for (int i = 0; ok && i < 3; i++) ok = l->frame[i].status == NR_STATUS_OK && l->frame[i].len == 1 && l->frame[i].data[0] == '0' + i;
    pthread_mutex_unlock(&lock);
    CHECK(ok, "count 3: frames 0, 1, 2 then StreamEnd");
    sid = new_sid(true);
    CHECK(handle("count", sid, bytes("three")) == NR_STATUS_INVALID && frames_of(sid) == 0, "count three: Invalid, nothing sent");

    /* A queue of 2 frames, drained slowly: Backpressure is answered and waited out, no frame lost. */
    pthread_mutex_lock(&lock);
    queue_cap = 2;
    int before = backpressured;
    pthread_mutex_unlock(&lock);
    sid = new_sid(true);
    pthread_t drainer;
    pthread_create(&drainer, NULL, drain, &sid);
    CHECK(handle("count", sid, bytes("300")) == NR_STATUS_OK, "count 300 accepted");
    pthread_join(drainer, NULL);
    pthread_mutex_lock(&lock);
    l = &logs[sid - BASE_SID];
    ok = l->frames == 301 && l->frame[300].status == NR_STATUS_STREAM_END;
    for (int i = 0; ok && i < 300; i++) {
        char want[8];
        int n = snprintf(want, sizeof want, "%d", i);
        ok = l->frame[i].status == NR_STATUS_OK && l->frame[i].len == (size_t)n && memcmp(l->frame[i].data, want, (size_t)n) == 0;
    }
    int refused = backpressured - before;
    queue_cap = 1000000;
    pthread_mutex_unlock(&lock);
    CHECK(ok, "count 300 through a queue of 2: every frame once, in order, then StreamEnd");
    CHECK(refused > 0, "the full queue answered Backpressure (%d times)", refused);
}

static void check_bidi(void) {
    uint64_t sid = new_sid(true);
    CHECK(handle("chat", sid, bytes("")) == NR_STATUS_OK, "chat opens");
    CHECK(vt->stream_data(sid, bytes("a")) == NR_STATUS_OK && vt->stream_data(sid, bytes("bb")) == NR_STATUS_OK, "chat data");
    CHECK(vt->stream_data(sid, bytes_n(NULL, 3)) == NR_STATUS_INVALID, "chat: NULL data with a length is Invalid");
    CHECK(vt->stream_close(sid) == NR_STATUS_OK && wait_done(sid), "chat close");
    pthread_mutex_lock(&lock);
    SidLog *l = &logs[sid - BASE_SID];
    bool ok = l->frames == 3 && l->frame[0].len == 1 && l->frame[1].len == 2 && l->frame[2].status == NR_STATUS_STREAM_END;
    pthread_mutex_unlock(&lock);
    CHECK(ok, "chat: a, bb, then StreamEnd");
    CHECK(vt->stream_data(sid, bytes("late")) == NR_STATUS_INVALID && vt->stream_close(sid) == NR_STATUS_INVALID,
          "chat: a closed sid is Invalid");
    CHECK(vt->stream_data(987654321, bytes("x")) == NR_STATUS_INVALID && vt->stream_close(987654321) == NR_STATUS_INVALID,
          "an unknown sid is Invalid");
}

static void check_bad_input(void) {
    uint64_t sid = new_sid(false);
    CHECK(vt->handle(str("no_such_entry"), sid, bytes("")) == NR_STATUS_UNSUPPORTED, "unknown entry: Unsupported");
    CHECK(vt->handle(str(""), sid, bytes("")) == NR_STATUS_UNSUPPORTED, "empty entry: Unsupported");
    CHECK(vt->handle(str_n("\xff\xfe", 2), sid, bytes("")) == NR_STATUS_INVALID, "non-UTF-8 entry: Invalid");
    CHECK(vt->handle(str_n(NULL, 4), sid, bytes("")) == NR_STATUS_INVALID, "NULL entry with a length: Invalid");
    CHECK(vt->handle(str("echo"), sid, bytes_n(NULL, 4)) == NR_STATUS_INVALID, "NULL payload with a length: Invalid");
    CHECK(vt->handle(str_n("echo\0", 5), sid, bytes("")) == NR_STATUS_UNSUPPORTED, "a name is its bytes, NUL included");
    CHECK(frames_of(sid) == 0, "rejected calls sent nothing");
    sid = new_sid(false);
    CHECK(vt->handle(str("echo"), sid, bytes_n(NULL, 0)) == NR_STATUS_OK && answer_is(sid, NR_STATUS_OK, "", 0),
          "NULL payload of length 0: empty");
}

static void check_ids(void) {
    const char *names[] = {"hello", "echo", "echo_async", "echo_owned", "echo_lease", "count", "chat", "panic"};
    uint32_t ids[8];
    for (int i = 0; i < 8; i++) {
        ids[i] = vt->resolve_entry(str(names[i]));
        CHECK(ids[i] != NR_ENTRY_UNKNOWN, "resolve_entry(%s)", names[i]);
        for (int j = 0; j < i; j++) CHECK(ids[i] != ids[j], "ids of %s and %s differ", names[i], names[j]);
    }
    CHECK(vt->resolve_entry(str("nope")) == NR_ENTRY_UNKNOWN, "resolve_entry(nope): NR_ENTRY_UNKNOWN");
    CHECK(vt->resolve_entry(str_n(NULL, 3)) == NR_ENTRY_UNKNOWN, "resolve_entry(NULL with a length): NR_ENTRY_UNKNOWN");
    uint64_t sid = new_sid(false);
    CHECK(vt->handle_by_id(ids[1], sid, bytes("by id")) == NR_STATUS_OK && answer_is(sid, NR_STATUS_OK, "by id", 5),
          "handle_by_id(echo)");
    sid = new_sid(false);
    CHECK(vt->handle_by_id(ids[2], sid, bytes("later")) == NR_STATUS_OK && wait_done(sid) &&
              answer_is(sid, NR_STATUS_OK, "later", 5),
          "handle_by_id(echo_async)");
    sid = new_sid(true);
    CHECK(vt->handle_by_id(ids[5], sid, bytes("x")) == NR_STATUS_INVALID && frames_of(sid) == 0, "handle_by_id(count x): Invalid");
    CHECK(vt->handle_by_id(0xFFFFFFF0u, sid, bytes("")) == NR_STATUS_UNSUPPORTED, "handle_by_id(unknown id): Unsupported");
    CHECK(vt->handle_by_id(ids[1], sid, bytes_n(NULL, 2)) == NR_STATUS_INVALID, "handle_by_id: NULL payload with a length");
}

static void check_probes(bool enabled) {
    const char *probes[] = {"panic", "panic_async"};
    for (int i = 0; i < 2; i++) {
        uint64_t sid = new_sid(false);
        NrStatus hs = handle(probes[i], sid, bytes(""));
        if (!enabled) {
            CHECK(hs == NR_STATUS_UNSUPPORTED && frames_of(sid) == 0, "%s without NYLON_RING_ENABLE_PROBES: Unsupported", probes[i]);
            continue;
        }
        bool ok = hs == NR_STATUS_OK && wait_done(sid);
        pthread_mutex_lock(&lock);
        ok = ok && logs[sid - BASE_SID].frames == 1 && logs[sid - BASE_SID].frame[0].status == NR_STATUS_PANIC;
        pthread_mutex_unlock(&lock);
        CHECK(ok, "%s: answered Panic, and the host lives", probes[i]);
    }
    check_echo("echo", "alive", 5, 0, true);
}

#define CALLERS 8
#define CALLS 1500

static void *caller(void *arg) {
    int n = (int)(intptr_t)arg;
    static _Atomic int refused;
    for (int i = 0; i < CALLS; i++) {
        char payload[32];
        int len = snprintf(payload, sizeof payload, "%d:%d", n, i);
        uint64_t sid = new_sid(false);
        pthread_mutex_lock(&lock);
        memcpy(logs[sid - BASE_SID].expect, payload, (size_t)len);
        logs[sid - BASE_SID].expect_len = (size_t)len;
        pthread_mutex_unlock(&lock);
        NrStatus hs;
        while ((hs = handle("echo_async", sid, bytes_n(payload, (size_t)len))) == NR_STATUS_BACKPRESSURE) {
            atomic_fetch_add(&refused, 1);  /* the pool's queue is full: the call was not taken; try again */
            sched_yield();
        }
        CHECK(hs == NR_STATUS_OK, "echo_async accepted");
    }
    return NULL;
}

static void check_async_load(void) {
    uint64_t first = next_sid;
    pthread_t threads[CALLERS];
    for (int i = 0; i < CALLERS; i++) pthread_create(&threads[i], NULL, caller, (void *)(intptr_t)i);
    for (int i = 0; i < CALLERS; i++) pthread_join(threads[i], NULL);
    uint64_t last = next_sid;
    int wrong = 0;
    for (uint64_t sid = first; sid < last; sid++) {
        if (!wait_done(sid)) {
            wrong++;
            continue;
        }
        pthread_mutex_lock(&lock);
        SidLog *l = &logs[sid - BASE_SID];
        /* one frame, Ok, with exactly the payload this sid was called with, sent off the host's thread */
        bool ok = l->frames == 1 && l->frame[0].status == NR_STATUS_OK && l->frame[0].len == l->expect_len &&
                  memcmp(l->frame[0].data, l->expect, l->expect_len) == 0 && !l->in_handle;
        pthread_mutex_unlock(&lock);
        wrong += !ok;
    }
    CHECK(wrong == 0, "%d concurrent echo_async calls: each answered once, off the host's thread (%d wrong)",
          (int)(last - first), wrong);
}

/* Shutdown with background calls in flight: each is answered before shutdown returns, nothing after. */
static void check_shutdown(void) {
    uint64_t sids[200];
    int accepted = 0;
    for (int i = 0; i < 200; i++) {
        sids[i] = new_sid(false);
        if (handle("echo_async", sids[i], bytes("in flight")) == NR_STATUS_OK) accepted++;
    }
    uint64_t chat = new_sid(true);
    CHECK(handle("chat", chat, bytes("")) == NR_STATUS_OK, "chat opens before shutdown");
    vt->shutdown();
    atomic_store(&closed, true);
    int answered = 0;
    for (int i = 0; i < 200; i++) answered += answer_is(sids[i], NR_STATUS_OK, "in flight", 9);
    CHECK(answered == accepted && accepted > 0, "shutdown: %d of %d accepted calls answered before it returned", answered, accepted);
    pthread_mutex_lock(&lock);
    SidLog *l = &logs[chat - BASE_SID];
    bool ended = l->ended && l->frames == 1 && l->frame[0].status == NR_STATUS_ERR;
    pthread_mutex_unlock(&lock);
    CHECK(ended, "shutdown: an open chat ended with Err");
    uint64_t sid = new_sid(false);
    CHECK(vt->handle(str("echo"), sid, bytes("late")) != NR_STATUS_OK, "handle after shutdown is refused");
    struct timespec t = {0, 50000000};
    nanosleep(&t, NULL);  /* a late send would be caught as a violation meanwhile */
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PLUGIN.so\n", argv[0]);
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    logs = calloc(SLOTS, sizeof *logs);
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        printf("FAIL dlopen: %s\n", dlerror());
        return 1;
    }
    NrGetPluginFn get = (NrGetPluginFn)symbol(lib, "nylon_ring_get_plugin");
    if (get == NULL) {
        printf("FAIL no nylon_ring_get_plugin\n");
        return 1;
    }
    const NrPluginInfo *info = get();
    vt = info->vtable;
    pthread_create(&releaser, NULL, release_loop, NULL);
    check_load(info, lib);

    unsetenv("NYLON_RING_ENABLE_PROBES");
    check_init();
    check_unary();
    check_streams();
    check_bidi();
    check_bad_input();
    check_ids();
    check_probes(false);
    vt->shutdown();

    setenv("NYLON_RING_ENABLE_PROBES", "1", 1);
    CHECK(vt->init(&host_token, &host_vtable) == NR_STATUS_OK, "a second init");
    check_probes(true);
    check_async_load();
    check_shutdown();

    atomic_store(&releaser_stop, true);
    pthread_join(releaser, NULL);
    release_all();
    CHECK(owned_sent == owned_released && owned_sent > 0, "every owned answer released once (%d of %d)", owned_released,
          owned_sent);
    CHECK(leases_granted > 0, "leases were granted and committed (%d)", leases_granted);
    for (int i = 0; i < SLOTS; i++) {
        free(logs[i].lease);
        for (int f = 0; f < logs[i].frames; f++) free(logs[i].frame[f].data);
        free(logs[i].frame);
    }
    free(logs);
    if (failures) return 1;
    printf("ok %d checks\n", checks);
    return 0;
}

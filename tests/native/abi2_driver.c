/*
 * A strict ABI 2 host written in C, linked together with the C template's sources and
 * built with -fsanitize=address,undefined by tests/test_template_c_abi2.py. It checks
 * every callback against the ABI 2 contracts (one answer per unary sid, nothing after a
 * terminal frame or after shutdown, borrowed NrVecU8 only, owned bytes unchanged until
 * they are released, exactly once, from another thread; leases used as the ABI says),
 * and it pushes the SDK where a host may: Backpressure on stream frames (terminal ones
 * included), refused leases and commits, a host vtable without the optional slots,
 * NULL pointers with lengths, unknown sids and ids, many background calls at once, and
 * shutdown with work in flight. It relies on the ABI 2 entries of the template: hello,
 * echo, echo_async, echo_owned, echo_lease, count, chat, panic, panic_async.
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

#define SLOTS 8192
#define KEEP 64
#define BASE_SID 0x100000000ull /* above 2^32: a sid kept in 32 bits comes back wrong */
#define THREADS 4
#define PER_THREAD 1000
#define IN_FLIGHT_AT_SHUTDOWN 200

enum { PATH_COPY = 1, PATH_OWNED = 2, PATH_LEASE = 3 };

typedef struct {
    bool used, ended, stream;
    int frames, refused;
    int pressure;     /* refuse every n-th send_result of this sid with Backpressure (0: never) */
    NrStatus last;
    int path;
    size_t len;
    unsigned char data[KEEP];
    char joined[KEEP]; /* a stream's frames, joined with ',' */
    uint8_t *lease;    /* outstanding lease */
    uint64_t lease_cap, lease_token;
} SidLog;

static SidLog logs[SLOTS];
static uint64_t slot_sid[SLOTS];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static atomic_bool closed;
static int checks, failures;
static int host_token;
static uint64_t next_sid = BASE_SID;
static bool refuse_acquire, refuse_commit;
static atomic_int owned_sent, owned_released;

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

static void violation_locked(const char *what, uint64_t sid) {
    failures++;
    printf("FAIL violation: %s (sid %llu)\n", what, (unsigned long long)sid);
}

/* The log of a started sid (lock held); NULL (and a violation) for a sid never started. */
static SidLog *log_of_locked(uint64_t sid) {
    SidLog *l = &logs[sid % SLOTS];
    if (!l->used || slot_sid[sid % SLOTS] != sid) {
        violation_locked("a callback for a sid never started", sid);
        return NULL;
    }
    return l;
}

/* Records one frame (lock held); false when it broke a rule. */
static void record_locked(SidLog *l, uint64_t sid, NrStatus status, const uint8_t *data, uint64_t len, int path) {
    if (l->ended) {
        violation_locked("a frame after the terminal one", sid);
        return;
    }
    if (status >= NR_STATUS_BACKPRESSURE) violation_locked("a status no plugin sends", sid);
    l->frames++;
    l->last = status;
    l->path = path;
    l->len = (size_t)len;
    memcpy(l->data, len ? data : (const uint8_t *)"", len < KEEP ? (size_t)len : KEEP);
    if (l->stream && status == NR_STATUS_OK) {
        size_t used = strlen(l->joined);
        if (used + len + 2 < KEEP) {
            if (used) l->joined[used++] = ',';
            memcpy(l->joined + used, data, (size_t)len);
            l->joined[used + len] = '\0';
        }
    }
    if (!l->stream || status != NR_STATUS_OK) l->ended = true;
    if (l->lease != NULL) { /* another path consumed the lease */
        free(l->lease);
        l->lease = NULL;
    }
    pthread_cond_broadcast(&changed);
}

/* ---------------------------------------------------------------- host callbacks */

static bool common_checks(void *ctx, uint64_t sid) {
    if (ctx != &host_token || atomic_load(&closed)) {
        pthread_mutex_lock(&lock);
        violation_locked(ctx != &host_token ? "a foreign host_ctx" : "a callback after shutdown returned", sid);
        pthread_mutex_unlock(&lock);
        return false;
    }
    return true;
}

static NrStatus send_result(void *ctx, uint64_t sid, NrStatus status, NrVecU8 payload) {
    if (!common_checks(ctx, sid)) return NR_STATUS_INVALID;
    pthread_mutex_lock(&lock);
    NrStatus result = NR_STATUS_OK;
    if (payload.owned != 0 || payload.drop_fn != NULL) violation_locked("an owned NrVecU8 (the SDK lends its bytes)", sid);
    if (payload.ptr == NULL && payload.len != 0) violation_locked("NULL payload with a length", sid);
    SidLog *l = log_of_locked(sid);
    if (l == NULL) {
        result = NR_STATUS_INVALID;
    } else if (l->pressure != 0 && l->stream && !l->ended && ++l->refused % l->pressure == 0) {
        result = NR_STATUS_BACKPRESSURE; /* queue full: not recorded */
    } else {
        record_locked(l, sid, status, payload.ptr, payload.len, PATH_COPY);
    }
    pthread_mutex_unlock(&lock);
    return result;
}

/* ---- owned bytes: released later, from the releaser thread, after checking they did not change ---- */

typedef struct Owned {
    struct Owned *next;
    NrOwnedBytes bytes;
    uint64_t sum;
} Owned;

static Owned *to_release;
static pthread_mutex_t release_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t releaser;
static atomic_bool releaser_stop;

static uint64_t checksum(const uint8_t *p, uint64_t n) {
    uint64_t h = 1469598103934665603ull;
    for (uint64_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static void release_all(void) {
    pthread_mutex_lock(&release_lock);
    Owned *list = to_release;
    to_release = NULL;
    pthread_mutex_unlock(&release_lock);
    while (list != NULL) {
        Owned *o = list;
        list = o->next;
        if (checksum(o->bytes.ptr, o->bytes.len) != o->sum) {
            pthread_mutex_lock(&lock);
            violation_locked("owned bytes changed before they were released", 0);
            pthread_mutex_unlock(&lock);
        }
        if (o->bytes.release != NULL) o->bytes.release(o->bytes.owner_ctx, o->bytes.ptr, o->bytes.len);
        atomic_fetch_add(&owned_released, 1);
        free(o);
    }
}

static void *releaser_main(void *arg) {
    (void)arg;
    while (!atomic_load(&releaser_stop)) {
        struct timespec t = {0, 2 * 1000 * 1000};
        nanosleep(&t, NULL);
        release_all();
    }
    release_all();
    return NULL;
}

/* The host owns the bytes once called, whatever it answers: it reads them, then queues them for release. */
static NrStatus send_result_owned(void *ctx, uint64_t sid, NrStatus status, NrOwnedBytes payload) {
    bool usable = common_checks(ctx, sid);
    SidLog *l = NULL;
    if (usable) {
        pthread_mutex_lock(&lock);
        l = log_of_locked(sid);
        if (l != NULL) record_locked(l, sid, status, payload.ptr, payload.len, PATH_OWNED);
        pthread_mutex_unlock(&lock);
    }
    Owned *o = malloc(sizeof(*o));
    o->bytes = payload;
    o->sum = checksum(payload.ptr, payload.len);
    atomic_fetch_add(&owned_sent, 1);
    pthread_mutex_lock(&release_lock);
    o->next = to_release;
    to_release = o;
    pthread_mutex_unlock(&release_lock);
    return l != NULL ? NR_STATUS_OK : NR_STATUS_INVALID;
}

static NrBufferLease acquire(void *ctx, uint64_t sid, uint64_t capacity) {
    NrBufferLease none = {NULL, 0, 0};
    if (!common_checks(ctx, sid)) return none;
    pthread_mutex_lock(&lock);
    SidLog *l = log_of_locked(sid);
    NrBufferLease lease = none;
    if (l != NULL && !refuse_acquire && !l->stream && !l->ended && l->lease == NULL) {
        l->lease = malloc(capacity + 1);
        l->lease_cap = capacity;
        l->lease_token = sid ^ 0x5eed;
        lease = (NrBufferLease){l->lease, capacity, l->lease_token};
    }
    pthread_mutex_unlock(&lock);
    return lease;
}

static NrStatus commit(void *ctx, uint64_t sid, NrStatus status, uint64_t token, uint64_t len) {
    if (!common_checks(ctx, sid)) return NR_STATUS_INVALID;
    pthread_mutex_lock(&lock);
    SidLog *l = log_of_locked(sid);
    NrStatus result = NR_STATUS_INVALID;
    if (l != NULL && l->lease == NULL) violation_locked("a commit without a lease", sid);
    if (l != NULL && l->lease != NULL && token == l->lease_token && len <= l->lease_cap && !refuse_commit) {
        uint8_t *buffer = l->lease;
        l->lease = NULL;
        record_locked(l, sid, status, buffer, len, PATH_LEASE);
        free(buffer);
        result = NR_STATUS_OK;
    }
    pthread_mutex_unlock(&lock);
    return result;
}

static const NrHostVTable full_host = {send_result, send_result_owned, acquire, commit};
static const NrHostVTable bare_host = {send_result, NULL, NULL, NULL};

/* ---------------------------------------------------------------- calling the plugin */

static const NrPluginVTable *vt;

static NrStr str(const char *s) {
    NrStr v = {(const uint8_t *)s, (uint32_t)strlen(s), 0};
    return v;
}

static NrBytes bytes(const char *s) {
    NrBytes b = {(const uint8_t *)s, strlen(s)};
    return b;
}

static uint64_t start_sid(bool stream, int pressure) {
    pthread_mutex_lock(&lock);
    uint64_t sid = next_sid++;
    SidLog *l = &logs[sid % SLOTS];
    free(l->lease);
    memset(l, 0, sizeof(*l));
    l->used = true;
    l->stream = stream;
    l->pressure = pressure;
    slot_sid[sid % SLOTS] = sid;
    pthread_mutex_unlock(&lock);
    return sid;
}

/* Waits until `sid` has its terminal frame (at most 10 s); a copy of its log. */
static SidLog wait_end(uint64_t sid) {
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 10;
    pthread_mutex_lock(&lock);
    SidLog *l = &logs[sid % SLOTS];
    while (!l->ended && pthread_cond_timedwait(&changed, &lock, &until) == 0) {
    }
    SidLog copy = *l;
    pthread_mutex_unlock(&lock);
    return copy;
}

static SidLog peek(uint64_t sid) {
    pthread_mutex_lock(&lock);
    SidLog copy = logs[sid % SLOTS];
    pthread_mutex_unlock(&lock);
    return copy;
}

static bool answered(SidLog l, NrStatus status, const char *text) {
    size_t n = strlen(text);
    return l.ended && l.frames == 1 && l.last == status && l.len == n && memcmp(l.data, text, n) == 0;
}

/* One unary call by name; the answer once it came. */
static SidLog unary(const char *entry, const char *payload, NrStatus *handle_status) {
    uint64_t sid = start_sid(false, 0);
    *handle_status = vt->handle(str(entry), sid, bytes(payload));
    return *handle_status == NR_STATUS_OK ? wait_end(sid) : peek(sid);
}

static void check_unary_paths(void) {
    NrStatus hs;
    SidLog l = unary("echo", "hi", &hs);
    CHECK(hs == NR_STATUS_OK && answered(l, NR_STATUS_OK, "hi") && l.path == PATH_COPY, "echo");
    l = unary("hello", "world", &hs);
    CHECK(answered(l, NR_STATUS_OK, "hello, world"), "hello: %.*s", (int)l.len, l.data);
    l = unary("echo_owned", "owned", &hs);
    CHECK(answered(l, NR_STATUS_OK, "owned") && l.path == PATH_OWNED, "echo_owned went path %d", l.path);
    l = unary("echo_lease", "leased", &hs);
    CHECK(answered(l, NR_STATUS_OK, "leased") && l.path == PATH_LEASE, "echo_lease went path %d", l.path);
    l = unary("echo_async", "later", &hs);
    CHECK(answered(l, NR_STATUS_OK, "later"), "echo_async");
    l = unary("no_such_entry", "", &hs);
    CHECK(hs == NR_STATUS_UNSUPPORTED && l.frames == 0, "unknown entry: status %u, %d frames", hs, l.frames);
    l = unary("panic", "", &hs); /* probes are off: NYLON_RING_ENABLE_PROBES was not set at init */
    CHECK(hs == NR_STATUS_UNSUPPORTED && l.frames == 0, "inert probe: status %u, %d frames", hs, l.frames);
    l = unary("panic_async", "", &hs);
    CHECK(hs == NR_STATUS_UNSUPPORTED && l.frames == 0, "inert background probe: status %u", hs);
}

static void check_leases_refused(void) {
    NrStatus hs;
    refuse_acquire = true;
    SidLog l = unary("echo_lease", "no lease", &hs);
    CHECK(answered(l, NR_STATUS_OK, "no lease") && l.path == PATH_COPY, "echo_lease without a lease");
    refuse_acquire = false;
    refuse_commit = true;
    l = unary("echo_lease", "bad commit", &hs);
    CHECK(answered(l, NR_STATUS_OK, "bad commit") && l.path == PATH_COPY, "echo_lease after a refused commit");
    refuse_commit = false;
}

static SidLog stream(const char *entry, const char *payload, int pressure, NrStatus *handle_status) {
    uint64_t sid = start_sid(true, pressure);
    *handle_status = vt->handle(str(entry), sid, bytes(payload));
    return *handle_status == NR_STATUS_OK ? wait_end(sid) : peek(sid);
}

static void check_streams(void) {
    NrStatus hs;
    SidLog l = stream("count", "5", 0, &hs);
    CHECK(l.ended && l.frames == 6 && l.last == NR_STATUS_STREAM_END && strcmp(l.joined, "0,1,2,3,4") == 0,
          "count 5: %d frames, last %u, %s", l.frames, l.last, l.joined);
    l = stream("count", "12", 2, &hs); /* every 2nd send is refused with Backpressure, the terminal one too */
    CHECK(l.ended && l.frames == 13 && l.last == NR_STATUS_STREAM_END && strcmp(l.joined, "0,1,2,3,4,5,6,7,8,9,10,11") == 0,
          "count 12 under Backpressure: %d frames, last %u, %s", l.frames, l.last, l.joined);
    l = stream("count", "many", 0, &hs);
    CHECK(hs == NR_STATUS_INVALID && l.frames == 0, "count many: status %u, %d frames", hs, l.frames);

    uint64_t sid = start_sid(true, 0);
    CHECK(vt->handle(str("chat"), sid, bytes("")) == NR_STATUS_OK, "chat opens");
    CHECK(vt->stream_data(sid, bytes("a")) == NR_STATUS_OK && vt->stream_data(sid, bytes("b")) == NR_STATUS_OK, "chat data");
    NrBytes null_data = {NULL, 2};
    CHECK(vt->stream_data(sid, null_data) == NR_STATUS_INVALID, "NULL stream data with a length");
    CHECK(vt->stream_close(sid) == NR_STATUS_OK, "chat close");
    l = wait_end(sid);
    CHECK(l.frames == 3 && l.last == NR_STATUS_STREAM_END && strcmp(l.joined, "a,b") == 0, "chat: %s", l.joined);
    CHECK(vt->stream_data(sid, bytes("late")) == NR_STATUS_INVALID && vt->stream_close(sid) == NR_STATUS_INVALID,
          "a closed stream is Invalid");
    CHECK(vt->stream_data(BASE_SID - 7, bytes("?")) == NR_STATUS_INVALID, "a stream never opened");

    /* The terminal frame of a close is refused inside stream_close: it still arrives, once. */
    sid = start_sid(true, 1);
    CHECK(vt->handle(str("chat"), sid, bytes("")) == NR_STATUS_OK, "chat opens under pressure");
    CHECK(vt->stream_close(sid) == NR_STATUS_OK, "chat close under pressure");
    pthread_mutex_lock(&lock);
    logs[sid % SLOTS].pressure = 0; /* the queue has room again */
    pthread_mutex_unlock(&lock);
    l = wait_end(sid);
    CHECK(l.frames == 1 && l.last == NR_STATUS_STREAM_END, "deferred terminal frame: %d frames, last %u", l.frames, l.last);
}

static void check_integer_dispatch_and_bad_input(void) {
    uint32_t echo = vt->resolve_entry(str("echo")), count = vt->resolve_entry(str("count"));
    CHECK(echo != NR_ENTRY_UNKNOWN && count != NR_ENTRY_UNKNOWN && echo != count, "resolve_entry");
    CHECK(vt->resolve_entry(str("echo")) == echo, "ids are stable");
    CHECK(vt->resolve_entry(str("nope")) == NR_ENTRY_UNKNOWN && vt->resolve_entry(str("")) == NR_ENTRY_UNKNOWN,
          "unknown names");
    NrStr null_name = {NULL, 4, 0};
    CHECK(vt->resolve_entry(null_name) == NR_ENTRY_UNKNOWN, "NULL name with a length");
    uint64_t sid = start_sid(false, 0);
    CHECK(vt->handle_by_id(echo, sid, bytes("by id")) == NR_STATUS_OK && answered(wait_end(sid), NR_STATUS_OK, "by id"),
          "handle_by_id echo");
    sid = start_sid(true, 0);
    CHECK(vt->handle_by_id(count, sid, bytes("2")) == NR_STATUS_OK, "handle_by_id count");
    SidLog l = wait_end(sid);
    CHECK(l.frames == 3 && strcmp(l.joined, "0,1") == 0, "handle_by_id count: %s", l.joined);
    CHECK(vt->handle_by_id(NR_ENTRY_UNKNOWN, start_sid(false, 0), bytes("")) == NR_STATUS_UNSUPPORTED, "unknown id");
    CHECK(vt->handle_by_id(echo ^ 0x40000000u, start_sid(false, 0), bytes("")) == NR_STATUS_UNSUPPORTED, "an id never given");
    CHECK(vt->handle(null_name, start_sid(false, 0), bytes("")) == NR_STATUS_INVALID, "handle with a NULL name");
    NrBytes null_payload = {NULL, 3};
    CHECK(vt->handle(str("echo"), start_sid(false, 0), null_payload) == NR_STATUS_INVALID, "NULL payload with a length");
    CHECK(vt->handle_by_id(echo, start_sid(false, 0), null_payload) == NR_STATUS_INVALID, "by id: NULL payload");
    NrBytes empty = {NULL, 0};
    sid = start_sid(false, 0);
    CHECK(vt->handle(str("echo_async"), sid, empty) == NR_STATUS_OK && answered(wait_end(sid), NR_STATUS_OK, ""),
          "NULL payload of length 0 is empty");
    const uint8_t bad[] = {0xff, 0xfe};
    NrStr not_utf8 = {bad, 2, 0};
    CHECK(vt->handle(not_utf8, start_sid(false, 0), empty) == NR_STATUS_INVALID, "a name that is not UTF-8");
}

/* ---- many background calls at once: each sid answered exactly once, with its own payload ---- */

static void *caller_main(void *arg) {
    int t = (int)(intptr_t)arg;
    static const char *entries[] = {"echo_async", "echo_async", "echo_async", "echo_owned", "echo_lease"};
    uint64_t sids[PER_THREAD];
    char text[PER_THREAD][24];
    for (int i = 0; i < PER_THREAD; i++) {
        snprintf(text[i], sizeof(text[i]), "%d:%d", t, i);
        sids[i] = start_sid(false, 0);
        if (vt->handle(str(entries[i % 5]), sids[i], bytes(text[i])) != NR_STATUS_OK) sids[i] = 0;
    }
    int wrong = 0;
    for (int i = 0; i < PER_THREAD; i++) {
        if (sids[i] == 0 || !answered(wait_end(sids[i]), NR_STATUS_OK, text[i])) wrong++;
    }
    return (void *)(intptr_t)wrong;
}

static void check_concurrency(void) {
    pthread_t threads[THREADS];
    for (int t = 0; t < THREADS; t++) pthread_create(&threads[t], NULL, caller_main, (void *)(intptr_t)t);
    int wrong = 0;
    for (int t = 0; t < THREADS; t++) {
        void *got;
        pthread_join(threads[t], &got);
        wrong += (int)(intptr_t)got;
    }
    CHECK(wrong == 0, "%d of %d concurrent calls lost, duplicated or answered with another payload", wrong,
          THREADS * PER_THREAD);
}

/* ---- shutdown with background work in flight ---- */

static void check_shutdown_with_work_in_flight(void) {
    uint64_t sids[IN_FLIGHT_AT_SHUTDOWN];
    for (int i = 0; i < IN_FLIGHT_AT_SHUTDOWN; i++) {
        sids[i] = start_sid(false, 0);
        CHECK(vt->handle(str("echo_async"), sids[i], bytes("in flight")) == NR_STATUS_OK, "queued");
    }
    uint64_t chat = start_sid(true, 0);
    CHECK(vt->handle(str("chat"), chat, bytes("")) == NR_STATUS_OK, "chat open at shutdown");
    vt->shutdown();
    atomic_store(&closed, true);
    int unanswered = 0;
    for (int i = 0; i < IN_FLIGHT_AT_SHUTDOWN; i++) unanswered += !answered(peek(sids[i]), NR_STATUS_OK, "in flight");
    CHECK(unanswered == 0, "%d accepted calls unanswered when shutdown returned", unanswered);
    SidLog l = peek(chat);
    CHECK(l.ended && l.last == NR_STATUS_ERR, "an open stream ends with Err at shutdown");
    CHECK(vt->handle(str("echo"), start_sid(false, 0), bytes("x")) == NR_STATUS_ERR, "handle after shutdown");
    struct timespec t = {0, 50 * 1000 * 1000};
    nanosleep(&t, NULL); /* anything late would reach send_result now and be reported */
    atomic_store(&closed, false);
}

/* ---- again, with probes on and a host that offers neither owned answers nor leases ---- */

static void check_bare_host_with_probes(void) {
    setenv("NYLON_RING_ENABLE_PROBES", "1", 1);
    CHECK(vt->init(&host_token, &bare_host) == NR_STATUS_OK, "init on a bare host");
    NrStatus hs;
    int released_before = atomic_load(&owned_released);
    SidLog l = unary("echo_owned", "copied", &hs);
    CHECK(answered(l, NR_STATUS_OK, "copied") && l.path == PATH_COPY, "echo_owned on a bare host");
    l = unary("echo_lease", "no leases", &hs);
    CHECK(answered(l, NR_STATUS_OK, "no leases") && l.path == PATH_COPY, "echo_lease on a bare host");
    CHECK(atomic_load(&owned_released) == released_before, "the SDK released its own copy (the host saw nothing)");
    l = unary("panic", "", &hs);
    CHECK(hs == NR_STATUS_OK && l.ended && l.frames == 1 && l.last == NR_STATUS_PANIC, "panic answers Panic: %u", l.last);
    l = unary("panic_async", "", &hs);
    CHECK(hs == NR_STATUS_OK && l.ended && l.frames == 1 && l.last == NR_STATUS_PANIC, "panic_async answers Panic");
    l = unary("echo", "alive", &hs);
    CHECK(answered(l, NR_STATUS_OK, "alive"), "the plugin lives on after a panic");
    vt->shutdown();
    unsetenv("NYLON_RING_ENABLE_PROBES");
}

int main(void) {
    const NrPluginInfo *info = nylon_ring_get_plugin();
    CHECK(info != NULL && info->abi_version == 2 && info->struct_size >= 56, "plugin info");
    vt = info->vtable;
    CHECK(vt->init && vt->handle && vt->shutdown && vt->stream_data && vt->stream_close && vt->resolve_entry &&
              vt->handle_by_id, "every slot is set");
    CHECK(nylon_ring_manifest() != NULL && strstr((const char *)nylon_ring_manifest(), "[[panic_probes]]") != NULL,
          "embedded manifest");
    CHECK(vt->init(&host_token, NULL) == NR_STATUS_INVALID, "init without a host vtable");
    unsetenv("NYLON_RING_ENABLE_PROBES");
    CHECK(vt->init(&host_token, &full_host) == NR_STATUS_OK, "init");
    pthread_create(&releaser, NULL, releaser_main, NULL);
    check_unary_paths();
    check_leases_refused();
    check_streams();
    check_integer_dispatch_and_bad_input();
    check_concurrency();
    check_shutdown_with_work_in_flight();
    check_bare_host_with_probes();
    atomic_store(&releaser_stop, true);
    pthread_join(releaser, NULL);
    CHECK(atomic_load(&owned_sent) == atomic_load(&owned_released) && atomic_load(&owned_sent) > 0,
          "owned answers %d, released %d", atomic_load(&owned_sent), atomic_load(&owned_released));
    for (int i = 0; i < SLOTS; i++) free(logs[i].lease);
    if (failures == 0) printf("ok %d checks\n", checks);
    return failures == 0 ? 0 : 1;
}

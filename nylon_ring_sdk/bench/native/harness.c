/*
 * nylon-ring benchmark harness.
 *
 * Loads one plugin with dlopen, validates it the way the reference host does, and runs
 * timed loops against one entry: raw (handle_raw), unary (handle with an NrRequest),
 * async (raw, with per-call latency and K requests in flight), stream (N frames) and
 * bidi (N stream_data + stream_close). Every answer is counted and checked (sid, status,
 * frame count, payload length); a plugin that answers the wrong sid, answers twice, or
 * never answers makes the harness print an error instead of a number.
 *
 * The hot path is built so the harness adds almost nothing to a call: each worker thread
 * owns a range of sids (the worker index sits in the high bits), so send_result finds the
 * answer slot ("cell") of a sid with a shift and a mask, and a synchronous answer is
 * recorded with plain (relaxed/release) stores on the caller's own cache lines: no lock,
 * no read-modify-write, no shared counter.
 *
 * Output: one JSON object on stdout. Exit 0 on success, 2 when the plugin misbehaved
 * or failed to load, 64 on bad arguments.
 *
 * Built by nylon_ring_sdk.bench.build with the generated nylon_ring.h next to it, once
 * per ABI generation: the header's NR_ABI_VERSION selects the generation layer (the
 * loader, the host vtable and the call forms); the timing loops and the checks are
 * shared. Under ABI 2 "raw" and "unary" are the same call (handle has no request), the
 * host answers through all four host slots (copy, owned, lease), and --by-id calls
 * handle_by_id with the id resolve_entry gave for the entry.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nylon_ring.h"

#if NR_ABI_VERSION == 2
#define NRB_ABI2 1
#define NRB_ENTRY_SYMBOL "nylon_ring_get_plugin"
#define NRB_PROBE_SYMBOL "nylon_ring_layout_probe_v2"
#define NRB_OWN_PROBE nylon_ring_layout_probe_v2
#define NRB_PLUGIN_CTX
#define NRB_PLUGIN_CTX_ONLY
#else
#define NRB_ABI2 0
#define NRB_ENTRY_SYMBOL "nylon_ring_get_plugin_v1"
#define NRB_PROBE_SYMBOL "nylon_ring_layout_probe_v1"
#define NRB_OWN_PROBE nylon_ring_layout_probe_v1
/* ABI 1 passes the plugin's context first; ABI 2 has no such parameter. */
#define NRB_PLUGIN_CTX g.ctx,
#define NRB_PLUGIN_CTX_ONLY g.ctx
#endif

#define HARNESS_VERSION 1
#define SEQ_BITS 40
#define SEQ_MASK ((UINT64_C(1) << SEQ_BITS) - 1)
#define MAX_WORKERS 1024
#define MAX_INFLIGHT 4096
#define MAX_CASES 64
#define MAX_RUNS 100
#define MAX_LATENCY_SAMPLES (1u << 21)
#define BATCH 64
#define MAX_INFO_TEXT 4096
#define SPIN_NS 50000 /* spin this long for an asynchronous answer before yielding */
#define EXIT_PLUGIN 2
#define EXIT_USAGE 64

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HOT static inline __attribute__((always_inline))
#define RELAXED memory_order_relaxed
#define ACQUIRE memory_order_acquire
#define RELEASE memory_order_release

#if defined(__x86_64__) || defined(__i386__)
#define CPU_RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__) || defined(__arm__)
#define CPU_RELAX() __asm__ __volatile__("yield")
#else
#define CPU_RELAX() ((void)0)
#endif

enum mode { MODE_RAW, MODE_UNARY, MODE_ASYNC, MODE_STREAM, MODE_BIDI };
static const char *const MODE_NAMES[] = {"raw", "unary", "async", "stream", "bidi"};

/* ------------------------------------------------------------------ answer cells */

/* One sid in flight. The worker arms it (expect), send_result fills it, the worker
 * checks and consumes it. Cache-line sized so neighbouring cells never share a line. */
typedef struct {
    _Atomic uint64_t expect;  /* the sid in flight in this cell; 0 = none */
    _Atomic uint64_t done;    /* the sid whose terminal answer arrived */
    _Atomic uint64_t bytes;   /* payload bytes of the answer (all frames for streams) */
    _Atomic uint64_t t_done;  /* when the terminal answer arrived (async mode) */
    _Atomic uint64_t answers; /* terminal answers this cell has ever received */
    _Atomic uint32_t status;  /* status of the terminal answer */
    _Atomic uint32_t frames;  /* Ok frames before the terminal (streams) */
    uint64_t t_start;         /* when the call was issued (async mode) */
    uint64_t pad_;
#if NRB_ABI2
    /* The cell's lease (acquire_result_buffer): one buffer kept across calls, grown on
     * demand; token identifies the outstanding lease, 0 when none is out. */
    uint8_t *lease_buf;
    uint64_t lease_cap;
    _Atomic uint64_t lease_token;
    _Atomic uint64_t paths[3]; /* frames this cell took by path: copy, owned, lease */
#endif
} __attribute__((aligned(64))) Cell;

typedef struct {
    Cell *cells;
    uint64_t mask;      /* cells - 1 (a power of two) */
    uint64_t next_seq;  /* sequence numbers are never reused within a process */
    uint64_t calls;     /* completed, verified calls in the current run */
    uint64_t t0, t1;    /* run start and end, ns */
    uint64_t cpu0, cpu1; /* the thread's CPU time at run start and end, ns */
    uint64_t rq0, rq1;   /* the thread's time runnable but waiting for a CPU (Linux schedstat), ns */
    uint64_t *lat;      /* latency samples of the current case (async mode) */
    size_t nlat;
    unsigned index;
    pthread_t thread;
    _Atomic int finished;
} __attribute__((aligned(64))) Worker;

#if NRB_ABI2
/* ABI 2 plugins get an opaque host context: the harness keeps nothing in it. */
typedef struct {
    unsigned char reserved[8];
} HostCtx;
#else
/* The host context handed to init: bytes 48..56 hold the NrHostExt pointer, which is
 * where seed-era plugins look for it. */
typedef struct {
    unsigned char reserved[48];
    const NrHostExt *ext;
    unsigned char tail[8];
} HostCtx;
#endif

/* One timed run. Over the run's wall-clock span, cpus is the CPU time the worker threads
 * got and waiting the time they were runnable but no CPU was free (-1 where the system
 * does not say). What is left of threads - cpus - waiting, they slept: blocked on a lock
 * or a futex. So 2 threads that got only 1.3 CPUs show either a busy machine (waiting)
 * or blocking (neither). */
typedef struct {
    double ns_per_call;
    double calls_per_s;
    double cpus;
    double waiting;
    uint64_t calls;
} RunStats;

typedef struct {
    unsigned threads, inflight;
    unsigned nruns;
    RunStats run[MAX_RUNS];
    int has_latency;
    double p50_ns, p99_ns, lat_max_ns;
    size_t lat_samples;
} CaseResult;

static struct {
    /* configuration */
    const char *plugin_path;
    const char *entry_text;
    enum mode mode;
    unsigned thread_list[MAX_CASES], nthread_list;
    unsigned inflight_list[MAX_CASES], ninflight_list;
    double seconds;
    unsigned runs;
    uint64_t fixed_calls; /* > 0: every run makes exactly this many calls per thread */
    double timeout_s;
    unsigned frames;
    long long expect_bytes; /* < 0: learn from the probe call */
    const char *payload_text;
    /* plugin */
    void *dl;
    const NrPluginInfo *info;
    void *ctx;
    NrHandleFn handle;
    NrStreamDataFn stream_data;
    NrStreamCloseFn stream_close;
    NrShutdownFn shutdown;
    int has_ext;
#if NRB_ABI2
    NrResolveEntryFn resolve_entry;
    NrHandleByIdFn handle_by_id;
    int by_id;         /* call handle_by_id(entry_id, ...) instead of handle(entry, ...) */
    uint32_t entry_id;
    _Atomic uint64_t lease_seq; /* lease tokens: never 0, never reused */
#else
    NrHandleRawFn handle_raw;
#endif
    /* call inputs */
    NrStr entry;
    NrBytes payload;
    NrBytes open_payload;
#if !NRB_ABI2
    NrRequest req;
#endif
    /* expectations */
    uint32_t want_status;
    uint32_t want_frames;
    uint64_t want_bytes;
    int streaming;
    int stamp;
    /* run state */
    Worker *workers;
    unsigned nworkers;
    _Atomic uint64_t live_workers; /* nworkers while calls may be answered, 0 after shutdown */
    _Atomic int hooks;             /* non-zero: answers take answer_slow (streams, state, stamps) */
    _Atomic int go;
    _Atomic int stop;
    _Atomic int ready;
    _Atomic int shut;
    uint64_t calls_total;
    _Atomic uint64_t stray_answers;
    /* first failure wins */
    _Atomic int failed;
    char errmsg[600];
} g;

static HostCtx g_host_ctx;

/* The harness's own layout table, laid out by this compiler from the same header; a
 * plugin that exports a probe must match it. (Not exported: the executable is not
 * linked with -rdynamic.) */
NR_DEFINE_LAYOUT_PROBE()

/* ------------------------------------------------------------------ small helpers */

static uint64_t thread_cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Nanoseconds this thread has spent runnable but waiting for a CPU; UINT64_MAX when the
 * system has no /proc/thread-self/schedstat. */
static uint64_t thread_runqueue_ns(void) {
    unsigned long long on_cpu, waiting;
    FILE *f = fopen("/proc/thread-self/schedstat", "r");
    if (!f)
        return UINT64_MAX;
    int n = fscanf(f, "%llu %llu", &on_cpu, &waiting);
    fclose(f);
    return n == 2 ? (uint64_t)waiting : UINT64_MAX;
}

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static const char *status_name(uint32_t s) {
    static const char *const names[] = {"Ok", "Err", "Invalid", "Unsupported", "StreamEnd", "Panic", "Backpressure"};
    return s < (NRB_ABI2 ? 7u : 5u) ? names[s] : "unknown status";
}

/* Record the first failure; later ones are dropped so the message names the cause. */
static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...) {
    int expected = 0;
    if (!atomic_compare_exchange_strong(&g.failed, &expected, 1))
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g.errmsg, sizeof g.errmsg, fmt, ap);
    va_end(ap);
    atomic_store_explicit(&g.failed, 2, RELEASE);
}

static inline int failing(void) { return atomic_load_explicit(&g.failed, RELAXED) != 0; }

static void json_string(FILE *out, const char *s, size_t len) {
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void json_cstr(FILE *out, const char *s) { json_string(out, s, strlen(s)); }

/* Print the error object and leave: the plugin may be wedged, so no cleanup. */
static void die(int code) __attribute__((noreturn));
static void die(int code) {
    while (atomic_load_explicit(&g.failed, ACQUIRE) == 1)
        sched_yield();
    fputs("{\"ok\": false, \"error\": ", stdout);
    json_cstr(stdout, g.errmsg);
    fputs("}\n", stdout);
    fflush(stdout);
    _exit(code);
}

static void usage_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g.errmsg, sizeof g.errmsg, fmt, ap);
    va_end(ap);
    atomic_store(&g.failed, 2);
    die(EXIT_USAGE);
}

static NrStr str_of(const char *s) {
    NrStr v;
    memset(&v, 0, sizeof v); /* ABI 2's reserved word is written as 0 */
    v.ptr = (const uint8_t *)s;
    v.len = (uint32_t)strlen(s);
    return v;
}

static NrBytes bytes_of(const char *s) {
    NrBytes v;
    v.ptr = (const uint8_t *)s;
    v.len = strlen(s);
    return v;
}

/* ------------------------------------------------------------------ state extension */
#if !NRB_ABI2

/* Per-sid state for plugins that use the extension. Not on the hot path: a mutex and a
 * linear list are enough; entries of a sid are dropped when its terminal answer comes. */
typedef struct {
    uint64_t sid;
    char *key;
    uint32_t key_len;
    uint8_t *value;
    uint64_t value_len;
} StateEntry;

static pthread_mutex_t g_state_lock = PTHREAD_MUTEX_INITIALIZER;
static StateEntry *g_state;
static size_t g_state_len, g_state_cap;
static _Atomic size_t g_state_live;

static StateEntry *state_find(uint64_t sid, NrStr key) {
    for (size_t i = 0; i < g_state_len; i++) {
        StateEntry *e = &g_state[i];
        if (e->sid == sid && e->key_len == key.len && memcmp(e->key, key.ptr, key.len) == 0)
            return e;
    }
    return NULL;
}

static NrBytes host_set_state(void *host_ctx, uint64_t sid, NrStr key, NrBytes value) {
    NrBytes out = {NULL, 0};
    (void)host_ctx;
    if ((key.len && !key.ptr) || (value.len && !value.ptr))
        return out;
    pthread_mutex_lock(&g_state_lock);
    StateEntry *e = state_find(sid, key);
    if (!e) {
        if (g_state_len == g_state_cap) {
            size_t cap = g_state_cap ? g_state_cap * 2 : 16;
            StateEntry *grown = realloc(g_state, cap * sizeof *grown);
            if (!grown)
                goto done;
            g_state = grown;
            g_state_cap = cap;
        }
        e = &g_state[g_state_len];
        memset(e, 0, sizeof *e);
        e->key = malloc(key.len + 1);
        if (!e->key)
            goto done;
        memcpy(e->key, key.ptr, key.len);
        e->key_len = key.len;
        e->sid = sid;
        g_state_len++;
        atomic_store_explicit(&g_state_live, g_state_len, RELAXED);
        atomic_store(&g.hooks, 1);
    }
    uint8_t *copy = malloc(value.len ? value.len : 1);
    if (!copy)
        goto done;
    if (value.len)
        memcpy(copy, value.ptr, value.len);
    free(e->value);
    e->value = copy;
    e->value_len = value.len;
    out.ptr = copy;
    out.len = value.len;
done:
    pthread_mutex_unlock(&g_state_lock);
    return out;
}

static NrBytes host_get_state(void *host_ctx, uint64_t sid, NrStr key) {
    NrBytes out = {NULL, 0};
    (void)host_ctx;
    if (key.len && !key.ptr)
        return out;
    pthread_mutex_lock(&g_state_lock);
    StateEntry *e = state_find(sid, key);
    if (e) {
        out.ptr = e->value;
        out.len = e->value_len;
    }
    pthread_mutex_unlock(&g_state_lock);
    return out;
}

static __attribute__((noinline, cold)) void state_drop(uint64_t sid) {
    pthread_mutex_lock(&g_state_lock);
    for (size_t i = 0; i < g_state_len;) {
        if (g_state[i].sid == sid) {
            free(g_state[i].key);
            free(g_state[i].value);
            g_state[i] = g_state[--g_state_len];
        } else {
            i++;
        }
    }
    atomic_store_explicit(&g_state_live, g_state_len, RELAXED);
    pthread_mutex_unlock(&g_state_lock);
}

static const NrHostExt g_host_ext = {host_set_state, host_get_state};
#endif

/* ------------------------------------------------------------------ send_result */

HOT Cell *cell_of(Worker *w, uint64_t sid) { return &w->cells[sid & w->mask]; }

/* Everything send_result rejects, kept off the hot path. */
static __attribute__((noinline, cold)) void reject_answer(uint64_t sid, NrStatus status, NrBytes payload) {
    uint64_t wi = sid >> SEQ_BITS;
    atomic_fetch_add(&g.stray_answers, 1);
    if (atomic_load(&g.shut)) {
        fail("send_result after shutdown returned (sid %" PRIu64 ", %s)", sid, status_name(status));
        return;
    }
    if (wi == 0 || wi > g.nworkers) {
        fail("answer for sid %" PRIu64 ", which the harness never issued", sid);
        return;
    }
    Cell *c = cell_of(&g.workers[wi - 1], sid);
    if (atomic_load_explicit(&c->expect, ACQUIRE) != sid)
        fail("answer for sid %" PRIu64 ", which is not in flight (already answered, or never issued)", sid);
    else if (atomic_load_explicit(&c->done, RELAXED) == sid)
        fail("second terminal answer for sid %" PRIu64 " (%s after %s)", sid, status_name(status),
             status_name(atomic_load_explicit(&c->status, RELAXED)));
    else
        fail("answer for sid %" PRIu64 " has a NULL payload pointer with length %" PRIu64, sid, (uint64_t)payload.len);
}

/* Record a terminal answer: the payload length, the status, one more answer, then the
 * release store of done that hands the cell back to the waiting worker. */
HOT void finish(Cell *c, uint64_t sid, NrStatus status, uint64_t bytes) {
    atomic_store_explicit(&c->bytes, bytes, RELAXED);
    atomic_store_explicit(&c->status, status, RELAXED);
    atomic_store_explicit(&c->answers, atomic_load_explicit(&c->answers, RELAXED) + 1, RELAXED);
    atomic_store_explicit(&c->done, sid, RELEASE);
}

/* The sid this thread is issuing in async mode (0: none): an answer for it on this thread came from inside handle. */
static _Thread_local uint64_t t_issuing;

/* Answers in the modes that need more than the fast path: stream frames accumulate,
 * per-sid state is dropped at the terminal answer, async answers are time-stamped. */
static __attribute__((noinline)) void answer_slow(Cell *c, uint64_t sid, NrStatus status, NrBytes payload) {
    uint64_t bytes = payload.len;
    if (g.streaming) {
        bytes += atomic_load_explicit(&c->bytes, RELAXED);
        if (status == NR_STATUS_OK) {
            atomic_store_explicit(&c->bytes, bytes, RELAXED);
            atomic_store_explicit(&c->frames, atomic_load_explicit(&c->frames, RELAXED) + 1, RELAXED);
            return;
        }
    }
#if !NRB_ABI2
    if (atomic_load_explicit(&g_state_live, RELAXED))
        state_drop(sid);
#endif
    if (g.stamp) {
        if (UNLIKELY(t_issuing == sid)) /* async mode measures answers from the plugin's own thread */
            fail("sid %" PRIu64 " was answered inside handle on the calling thread, not asynchronously", sid);
        atomic_store_explicit(&c->t_done, now_ns(), RELAXED);
    }
    finish(c, sid, status, bytes);
}

/* The host callback. The fast path is a shift, a mask, three compares and four stores
 * into the calling worker's own cell. After shutdown live_workers is 0, so any late
 * answer lands in reject_answer. */
/* The cell a frame for sid belongs to, or NULL (after recording why) when the frame must
 * not be taken: a sid the harness never issued, one already answered, a NULL payload. */
HOT Cell *accept_frame(uint64_t sid, NrStatus status, NrBytes payload) {
    uint64_t wi = (sid >> SEQ_BITS) - 1;
    if (UNLIKELY(wi >= atomic_load_explicit(&g.live_workers, RELAXED))) {
        reject_answer(sid, status, payload);
        return NULL;
    }
    Cell *c = cell_of(&g.workers[wi], sid);
    if (UNLIKELY(atomic_load_explicit(&c->expect, ACQUIRE) != sid || atomic_load_explicit(&c->done, RELAXED) == sid ||
                 (payload.len && !payload.ptr))) {
        reject_answer(sid, status, payload);
        return NULL;
    }
    return c;
}

HOT void take_frame(Cell *c, uint64_t sid, NrStatus status, NrBytes payload) {
    if (UNLIKELY(atomic_load_explicit(&g.hooks, RELAXED))) {
        answer_slow(c, sid, status, payload);
        return;
    }
    finish(c, sid, status, payload.len);
}

#if NRB_ABI2
HOT NrBytes view_of(const uint8_t *ptr, uint64_t len) {
    NrBytes v;
    v.ptr = ptr;
    v.len = len;
    return v;
}

/* One writer per cell at a time (its sid's frames arrive one after another), so a plain
 * load and store count without a shared read-modify-write. */
HOT void count_path(Cell *c, unsigned path) {
    atomic_store_explicit(&c->paths[path], atomic_load_explicit(&c->paths[path], RELAXED) + 1, RELAXED);
}

static uint64_t path_total(unsigned path);

/* Copy path: the harness reads nothing but the length, then frees an owned buffer with
 * its producer's drop_fn, as a host does once it has copied. */
static NrStatus host_send_result(void *host_ctx, uint64_t sid, NrStatus status, NrVecU8 payload) {
    (void)host_ctx;
    Cell *c = accept_frame(sid, status, view_of(payload.ptr, payload.len));
    if (LIKELY(c != NULL)) {
        count_path(c, 0);
        take_frame(c, sid, status, view_of(payload.ptr, payload.len));
    }
    if (payload.owned && payload.drop_fn)
        payload.drop_fn(payload.ptr, payload.len, payload.cap);
    return c ? NR_STATUS_OK : NR_STATUS_INVALID;
}

/* Owned path: the view is released at once, which is the least a host can spend on it. */
static NrStatus host_send_result_owned(void *host_ctx, uint64_t sid, NrStatus status, NrOwnedBytes payload) {
    (void)host_ctx;
    Cell *c = accept_frame(sid, status, view_of(payload.ptr, payload.len));
    if (LIKELY(c != NULL)) {
        count_path(c, 1);
        take_frame(c, sid, status, view_of(payload.ptr, payload.len));
    }
    if (payload.release)
        payload.release(payload.owner_ctx, payload.ptr, payload.len);
    return c ? NR_STATUS_OK : NR_STATUS_INVALID;
}

/* Lease path: each cell keeps its buffer across calls, so a lease is a token and a
 * pointer; it grows (off the hot path) when a plugin asks for more than it has. */
static NrBufferLease host_acquire_result_buffer(void *host_ctx, uint64_t sid, uint64_t capacity) {
    (void)host_ctx;
    NrBufferLease lease = {NULL, 0, 0};
    uint64_t wi = (sid >> SEQ_BITS) - 1;
    if (UNLIKELY(g.streaming || wi >= atomic_load_explicit(&g.live_workers, RELAXED)))
        return lease;
    Cell *c = cell_of(&g.workers[wi], sid);
    if (UNLIKELY(atomic_load_explicit(&c->expect, ACQUIRE) != sid || atomic_load_explicit(&c->done, RELAXED) == sid ||
                 atomic_load_explicit(&c->lease_token, RELAXED) != 0))
        return lease;
    if (UNLIKELY(capacity > c->lease_cap || !c->lease_buf)) {
        uint8_t *grown = realloc(c->lease_buf, capacity ? capacity : 1);
        if (!grown)
            return lease;
        c->lease_buf = grown;
        c->lease_cap = capacity;
    }
    uint64_t token = atomic_fetch_add_explicit(&g.lease_seq, 1, RELAXED) + 1;
    atomic_store_explicit(&c->lease_token, token, RELAXED);
    lease.ptr = c->lease_buf;
    lease.cap = c->lease_cap;
    lease.token = token;
    return lease;
}

static NrStatus host_commit_result_buffer(void *host_ctx, uint64_t sid, NrStatus status, uint64_t token,
                                          uint64_t initialized_len) {
    (void)host_ctx;
    uint64_t wi = (sid >> SEQ_BITS) - 1;
    if (UNLIKELY(wi >= atomic_load_explicit(&g.live_workers, RELAXED)))
        return NR_STATUS_INVALID;
    Cell *c = cell_of(&g.workers[wi], sid);
    if (UNLIKELY(token == 0 || atomic_load_explicit(&c->lease_token, RELAXED) != token ||
                 initialized_len > c->lease_cap)) {
        fail("commit_result_buffer for sid %" PRIu64 " with token %" PRIu64 " and %" PRIu64
             " bytes does not match its lease", sid, token, initialized_len);
        return NR_STATUS_INVALID;
    }
    Cell *ok = accept_frame(sid, status, view_of(c->lease_buf, initialized_len));
    if (UNLIKELY(!ok))
        return NR_STATUS_INVALID;
    atomic_store_explicit(&c->lease_token, 0, RELAXED);
    count_path(c, 2);
    take_frame(c, sid, status, view_of(c->lease_buf, initialized_len));
    return NR_STATUS_OK;
}

static const NrHostVTable g_host_vtable = {host_send_result, host_send_result_owned, host_acquire_result_buffer,
                                           host_commit_result_buffer};
#else
static void host_send_result(void *host_ctx, uint64_t sid, NrStatus status, NrBytes payload) {
    (void)host_ctx;
    Cell *c = accept_frame(sid, status, payload);
    if (LIKELY(c != NULL))
        take_frame(c, sid, status, payload);
}

static const NrHostVTable g_host_vtable = {host_send_result};
#endif

/* ------------------------------------------------------------------ loading */

/* name and version are read (and printed); a NULL pointer or a garbage length is refused. */
static void check_info_text(NrStr text, const char *what) {
    if (text.len && !text.ptr)
        fail("%s: NrPluginInfo.%s is NULL with length %u", g.plugin_path, what, text.len);
    else if (text.len > MAX_INFO_TEXT)
        fail("%s: NrPluginInfo.%s has an implausible length %u (at most %d)", g.plugin_path, what, text.len,
             MAX_INFO_TEXT);
    if (failing())
        die(EXIT_PLUGIN);
}

/* Every non-NULL slot must point into the plugin's own image: a plugin built against a
 * shorter vtable leaves whatever follows its table in the slots past its end. */
static void check_slots(const void *entry_fn, const NrPluginVTable *vt) {
#if NRB_ABI2
    static const char *const names[] = {"init", "handle", "shutdown", "stream_data", "stream_close",
                                        "resolve_entry", "handle_by_id"};
    const void *slots[] = {(const void *)vt->init, (const void *)vt->handle, (const void *)vt->shutdown,
                           (const void *)vt->stream_data, (const void *)vt->stream_close,
                           (const void *)vt->resolve_entry, (const void *)vt->handle_by_id};
#else
    static const char *const names[] = {"init", "handle", "handle_raw", "shutdown", "stream_data", "stream_close"};
    const void *slots[] = {(const void *)vt->init, (const void *)vt->handle, (const void *)vt->handle_raw,
                           (const void *)vt->shutdown, (const void *)vt->stream_data, (const void *)vt->stream_close};
#endif
    Dl_info mine, theirs;
    if (!dladdr(entry_fn, &mine))
        return;
    for (unsigned i = 0; i < sizeof slots / sizeof slots[0]; i++) {
        if (slots[i] && (!dladdr(slots[i], &theirs) || theirs.dli_fbase != mine.dli_fbase)) {
            fail("%s: vtable slot %s = %p does not point into the plugin's own code", g.plugin_path, names[i],
                 slots[i]);
            die(EXIT_PLUGIN);
        }
    }
}

static void load_plugin(void) {
    g.dl = dlopen(g.plugin_path, RTLD_NOW | RTLD_LOCAL);
    if (!g.dl) {
        const char *why = dlerror();
        fail("%s: cannot load (%s)", g.plugin_path, why ? why : "dlopen failed");
        die(EXIT_PLUGIN);
    }
    NrGetPluginFn get = (NrGetPluginFn)dlsym(g.dl, NRB_ENTRY_SYMBOL);
    if (!get) {
        fail("%s: symbol " NRB_ENTRY_SYMBOL " not found (expected a nylon-ring ABI %u plugin)", g.plugin_path,
             NR_ABI_VERSION);
        die(EXIT_PLUGIN);
    }
    const NrPluginInfo *info = get();
    if (!info)
        fail("%s: " NRB_ENTRY_SYMBOL "() returned NULL", g.plugin_path);
    else if (info->abi_version != NR_ABI_VERSION)
        fail("%s: abi_version is %u (expected %u)", g.plugin_path, info->abi_version, NR_ABI_VERSION);
#if NRB_ABI2
    else if (info->struct_size < sizeof(NrPluginInfo))
        fail("%s: struct_size is %u (expected at least %u)", g.plugin_path, info->struct_size,
             (unsigned)sizeof(NrPluginInfo));
#else
    else if (info->struct_size != sizeof(NrPluginInfo))
        fail("%s: struct_size is %u (expected %u)", g.plugin_path, info->struct_size, (unsigned)sizeof(NrPluginInfo));
#endif
    else if (!info->vtable)
        fail("%s: vtable is NULL", g.plugin_path);
    else if (!info->vtable->init)
        fail("%s: vtable.init is NULL", g.plugin_path);
#if NRB_ABI2
    else if (!info->vtable->handle)
        fail("%s: vtable.handle is NULL", g.plugin_path);
    else if (!info->vtable->resolve_entry != !info->vtable->handle_by_id)
        fail("%s: exactly one of resolve_entry and handle_by_id is set (expected both or neither)", g.plugin_path);
#else
    else if (!info->vtable->handle && !info->vtable->handle_raw)
        fail("%s: vtable has neither handle nor handle_raw", g.plugin_path);
#endif
    if (failing())
        die(EXIT_PLUGIN);
    check_info_text(info->name, "name");
    check_info_text(info->version, "version");
    check_slots((const void *)get, info->vtable);
    g.info = info;
}

static void check_layout_probe(void) {
    NrGetLayoutProbeFn probe_fn = (NrGetLayoutProbeFn)dlsym(g.dl, NRB_PROBE_SYMBOL);
    if (!probe_fn)
        return;
    const NrLayoutProbe *mine_probe = NRB_OWN_PROBE();
    const uint32_t *mine = mine_probe->values;
    size_t n = mine_probe->count;
    const NrLayoutProbe *p = probe_fn();
    if (!p || p->probe_version != NR_LAYOUT_PROBE_VERSION || p->count != n || !p->values) {
        fail("%s: layout probe has version %u and %u values (expected version %u with %zu values)", g.plugin_path,
             p ? p->probe_version : 0, p ? p->count : 0, NR_LAYOUT_PROBE_VERSION, n);
        die(EXIT_PLUGIN);
    }
    for (size_t i = 0; i < n; i++) {
        if (p->values[i] != mine[i]) {
            fail("%s: layout probe value %zu is %u (expected %u): the plugin was built against different bindings",
                 g.plugin_path, i, p->values[i], mine[i]);
            die(EXIT_PLUGIN);
        }
    }
}

static const char *require_slots(void) {
    const NrPluginVTable *vt = g.info->vtable;
#if NRB_ABI2
    if (g.by_id && !vt->handle_by_id)
        return "--by-id needs vtable.resolve_entry and vtable.handle_by_id, which are NULL";
    if (g.mode == MODE_BIDI && (!vt->stream_data || !vt->stream_close))
        return "mode bidi needs vtable.stream_data and vtable.stream_close";
    return NULL;
#else
    if (g.mode == MODE_UNARY && !vt->handle)
        return "mode unary needs vtable.handle, which is NULL";
    if (g.mode != MODE_UNARY && !vt->handle_raw)
        return "this mode needs vtable.handle_raw, which is NULL";
    if (g.mode == MODE_BIDI && (!vt->stream_data || !vt->stream_close))
        return "mode bidi needs vtable.stream_data and vtable.stream_close";
    return NULL;
#endif
}

static void init_plugin(void) {
    const char *missing = require_slots();
    if (missing) {
        fail("%s: %s", g.plugin_path, missing);
        die(EXIT_PLUGIN);
    }
    const NrPluginVTable *vt = g.info->vtable;
    g.ctx = g.info->plugin_ctx;
    g.handle = vt->handle;
    g.stream_data = vt->stream_data;
    g.stream_close = vt->stream_close;
    g.shutdown = vt->shutdown;
#if NRB_ABI2
    g.resolve_entry = vt->resolve_entry;
    g.handle_by_id = vt->handle_by_id;
    NrStatus st = vt->init(&g_host_ctx, &g_host_vtable);
#else
    g.handle_raw = vt->handle_raw;
    NrSetHostExtFn set_ext = (NrSetHostExtFn)dlsym(g.dl, "nylon_ring_set_host_ext_v1");
    if (set_ext) {
        g.has_ext = 1;
        set_ext(&g_host_ext);
    }
    g_host_ctx.ext = &g_host_ext;
    NrStatus st = vt->init(g.ctx, &g_host_ctx, &g_host_vtable);
#endif
    if (st != NR_STATUS_OK) {
        fail("%s: init returned %s (expected Ok)", g.plugin_path, status_name(st));
        die(EXIT_PLUGIN);
    }
#if NRB_ABI2
    if (g.by_id) {
        g.entry_id = g.resolve_entry(g.entry);
        if (g.entry_id == NR_ENTRY_UNKNOWN) {
            fail("%s: resolve_entry('%s') returned NR_ENTRY_UNKNOWN", g.plugin_path, g.entry_text);
            die(EXIT_PLUGIN);
        }
    }
#endif
}

/* ------------------------------------------------------------------ one call */

#if !NRB_ABI2
static const NrHeader g_headers[4] = {
    {{(const uint8_t *)"host", 4}, {(const uint8_t *)"bench.local", 11}},
    {{(const uint8_t *)"user-agent", 10}, {(const uint8_t *)"nylon-ring-bench", 16}},
    {{(const uint8_t *)"accept", 6}, {(const uint8_t *)"*/*", 3}},
    {{(const uint8_t *)"x-request-id", 12}, {(const uint8_t *)"0123456789abcdef", 16}},
};
#endif

static __attribute__((noinline, cold)) int rejected(const char *fn, uint64_t sid, NrStatus st) {
    fail("%s returned %s for entry '%s', sid %" PRIu64 " (expected Ok)", fn, status_name(st), g.entry_text, sid);
    return -1;
}

#if NRB_ABI2
/* ABI 2 has one request call; --by-id takes the integer-dispatch slot instead. */
HOT NrStatus call_entry(uint64_t sid, NrBytes payload) {
    return g.by_id ? g.handle_by_id(g.entry_id, sid, payload) : g.handle(g.entry, sid, payload);
}
#define NRB_OPEN(sid, payload) call_entry(sid, payload)
#define NRB_OPEN_NAME "handle"
#else
#define NRB_OPEN(sid, payload) g.handle_raw(g.ctx, g.entry, sid, payload)
#define NRB_OPEN_NAME "handle_raw"
#endif

static int bidi_exchange(uint64_t sid) {
    NrStatus st = NRB_OPEN(sid, g.open_payload);
    if (UNLIKELY(st != NR_STATUS_OK))
        return rejected(NRB_OPEN_NAME " (bidi open)", sid, st);
    for (unsigned i = 0; i < g.frames; i++) {
        st = g.stream_data(NRB_PLUGIN_CTX sid, g.payload);
        if (UNLIKELY(st != NR_STATUS_OK))
            return rejected("stream_data", sid, st);
    }
    st = g.stream_close(NRB_PLUGIN_CTX sid);
    if (UNLIKELY(st != NR_STATUS_OK))
        return rejected("stream_close", sid, st);
    return 0;
}

/* Arm the sid's cell and make the call; 0 when the plugin accepted it. `mode` and
 * `stamp` are constants at every call site, so each loop compiles to straight code. */
HOT int issue(Worker *w, uint64_t sid, enum mode mode, int stamp) {
    Cell *c = cell_of(w, sid);
    if (mode == MODE_STREAM || mode == MODE_BIDI) {
        atomic_store_explicit(&c->bytes, 0, RELAXED);
        atomic_store_explicit(&c->frames, 0, RELAXED);
    }
    atomic_store_explicit(&c->expect, sid, RELEASE);
    if (stamp)
        c->t_start = now_ns();
    NrStatus st;
    switch (mode) {
#if !NRB_ABI2
    case MODE_UNARY:
        st = g.handle(g.ctx, g.entry, sid, &g.req, g.payload);
        return LIKELY(st == NR_STATUS_OK) ? 0 : rejected("handle", sid, st);
#endif
    case MODE_BIDI:
        return bidi_exchange(sid);
    case MODE_STREAM:
        st = NRB_OPEN(sid, g.open_payload);
        return LIKELY(st == NR_STATUS_OK) ? 0 : rejected(NRB_OPEN_NAME, sid, st);
    case MODE_ASYNC:
        t_issuing = sid;
        st = NRB_OPEN(sid, g.payload);
        t_issuing = 0;
        return LIKELY(st == NR_STATUS_OK) ? 0 : rejected(NRB_OPEN_NAME, sid, st);
    default:
        st = NRB_OPEN(sid, g.payload);
        return LIKELY(st == NR_STATUS_OK) ? 0 : rejected(NRB_OPEN_NAME, sid, st);
    }
}

/* Wait for an answer that did not come synchronously: spin a little (a yield can cost a
 * whole scheduler slice on a busy machine), then yield, and give up after the timeout
 * (or as soon as another thread recorded a failure). */
static __attribute__((noinline)) int wait_slow(Cell *c, uint64_t sid) {
    uint64_t spin_until = now_ns() + SPIN_NS;
    for (unsigned i = 1;; i++) {
        if (atomic_load_explicit(&c->done, ACQUIRE) == sid)
            return 0;
        CPU_RELAX();
        if ((i & 63) == 0 && now_ns() > spin_until)
            break;
    }
    uint64_t deadline = now_ns() + (uint64_t)(g.timeout_s * 1e9);
    for (unsigned i = 1;; i++) {
        if (atomic_load_explicit(&c->done, ACQUIRE) == sid)
            return 0;
        if (failing())
            return -1;
        if ((i & 15) == 0 && now_ns() > deadline) {
            fail("no terminal answer for sid %" PRIu64 " within %.1f s (%u Ok frames so far)", sid, g.timeout_s,
                 atomic_load_explicit(&c->frames, RELAXED));
            return -1;
        }
        sched_yield();
    }
}

/* Name what is wrong with an answer that did not match the expectation. */
static __attribute__((noinline, cold)) int wrong_answer(Cell *c, uint64_t sid) {
    uint32_t status = atomic_load_explicit(&c->status, RELAXED);
    uint32_t frames = atomic_load_explicit(&c->frames, RELAXED);
    uint64_t bytes = atomic_load_explicit(&c->bytes, RELAXED);
    if (status != g.want_status)
        fail("sid %" PRIu64 " ended with %s (expected %s)", sid, status_name(status), status_name(g.want_status));
    else if (frames != g.want_frames)
        fail("sid %" PRIu64 " sent %u Ok frames (expected %u)", sid, frames, g.want_frames);
    else
        fail("sid %" PRIu64 " answered %" PRIu64 " payload bytes (expected %" PRIu64 ")", sid, bytes, g.want_bytes);
    return -1;
}

/* Wait for sid's terminal answer and verify it; 0 on success. */
HOT int await(Worker *w, uint64_t sid, int stamp) {
    Cell *c = cell_of(w, sid);
    if (UNLIKELY(atomic_load_explicit(&c->done, ACQUIRE) != sid) && wait_slow(c, sid))
        return -1;
    if (UNLIKELY(atomic_load_explicit(&c->status, RELAXED) != g.want_status ||
                 atomic_load_explicit(&c->bytes, RELAXED) != g.want_bytes ||
                 atomic_load_explicit(&c->frames, RELAXED) != g.want_frames))
        return wrong_answer(c, sid);
    if (stamp && w->nlat < MAX_LATENCY_SAMPLES)
        w->lat[w->nlat++] = atomic_load_explicit(&c->t_done, RELAXED) - c->t_start;
    return 0;
}

HOT uint64_t sid_of(const Worker *w, uint64_t seq) {
    return ((uint64_t)(w->index + 1) << SEQ_BITS) | (seq & SEQ_MASK);
}

HOT uint64_t next_sid(Worker *w) { return sid_of(w, ++w->next_seq); }

/* ------------------------------------------------------------------ worker loops */

HOT int keep_going(const Worker *w) {
    if (g.fixed_calls)
        return w->calls < g.fixed_calls;
    return !atomic_load_explicit(&g.stop, RELAXED);
}

/* One sid at a time, checking the stop flag every BATCH calls. The sequence number and
 * the call count live in registers; the plugin cannot see them. */
HOT void loop_serial_mode(Worker *w, enum mode mode, int stamp) {
    uint64_t seq = w->next_seq, calls = 0;
    while (keep_going(w) && !failing()) {
        uint64_t left = g.fixed_calls ? g.fixed_calls - calls : BATCH;
        unsigned n = left < BATCH ? (unsigned)left : BATCH;
        for (unsigned i = 0; i < n; i++) {
            uint64_t sid = sid_of(w, ++seq);
            if (UNLIKELY(issue(w, sid, mode, stamp) || await(w, sid, stamp)))
                goto out;
            calls++;
        }
        w->calls = calls;
    }
out:
    w->next_seq = seq;
    w->calls = calls;
}

static void loop_serial(Worker *w) {
    switch (g.mode) {
    case MODE_RAW: loop_serial_mode(w, MODE_RAW, 0); break;
    case MODE_UNARY: loop_serial_mode(w, MODE_UNARY, 0); break;
    case MODE_ASYNC: loop_serial_mode(w, MODE_ASYNC, 1); break;
    case MODE_STREAM: loop_serial_mode(w, MODE_STREAM, 0); break;
    case MODE_BIDI: loop_serial_mode(w, MODE_BIDI, 0); break;
    }
}

/* K sids in flight (async mode): issue K, then each time the oldest completes issue one
 * more. Answers may arrive in any order; each waits in its own cell. */
static void loop_pipelined(Worker *w, unsigned k) {
    uint64_t first = w->next_seq + 1, issued = 0, completed = 0;
    uint64_t limit = g.fixed_calls ? g.fixed_calls : UINT64_MAX;
    for (; issued < k && issued < limit; issued++)
        if (issue(w, next_sid(w), MODE_ASYNC, 1))
            return;
    while (completed < issued) {
        if (await(w, sid_of(w, first + completed), 1))
            return;
        completed++;
        w->calls++;
        if (issued < limit && keep_going(w) && !failing()) {
            if (issue(w, next_sid(w), MODE_ASYNC, 1))
                return;
            issued++;
        }
    }
}

typedef struct {
    Worker *w;
    unsigned inflight;
} WorkerArg;

static void *worker_main(void *arg) {
    WorkerArg *a = arg;
    Worker *w = a->w;
    atomic_fetch_add(&g.ready, 1);
    while (!atomic_load_explicit(&g.go, ACQUIRE))
        sched_yield();
    w->rq0 = thread_runqueue_ns();
    w->cpu0 = thread_cpu_ns();
    w->t0 = now_ns();
    if (a->inflight <= 1)
        loop_serial(w);
    else
        loop_pipelined(w, a->inflight);
    w->t1 = now_ns();
    w->cpu1 = thread_cpu_ns();
    w->rq1 = thread_runqueue_ns();
    atomic_store_explicit(&w->finished, 1, RELEASE);
    return NULL;
}

static void sleep_s(double s) {
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
    }
}

/* One timed run on n threads. */
static void run_once(unsigned n, unsigned inflight, double seconds, RunStats *out) {
    WorkerArg args[MAX_WORKERS];
    g.nworkers = n;
    atomic_store(&g.live_workers, n);
    atomic_store(&g.go, 0);
    atomic_store(&g.stop, 0);
    atomic_store(&g.ready, 0);
    for (unsigned i = 0; i < n; i++) {
        Worker *w = &g.workers[i];
        w->calls = 0;
        atomic_store(&w->finished, 0);
        args[i].w = w;
        args[i].inflight = inflight;
        if (pthread_create(&w->thread, NULL, worker_main, &args[i]) != 0) {
            fail("cannot start worker thread %u of %u", i + 1, n);
            die(EXIT_PLUGIN);
        }
    }
    while ((unsigned)atomic_load(&g.ready) < n)
        sched_yield();
    atomic_store_explicit(&g.go, 1, RELEASE);
    if (!g.fixed_calls) {
        sleep_s(seconds);
        atomic_store_explicit(&g.stop, 1, RELAXED);
    }
    /* A watchdog: a plugin that blocks inside a call never returns to the worker. */
    uint64_t deadline = now_ns() + (uint64_t)((g.timeout_s * 2 + (g.fixed_calls ? 60.0 : 0.0)) * 1e9);
    for (unsigned i = 0; i < n; i++) {
        while (!atomic_load_explicit(&g.workers[i].finished, ACQUIRE)) {
            if (now_ns() > deadline) {
                fail("worker %u did not return from the plugin within %.1f s after the run ended", i + 1,
                     g.timeout_s * 2);
                die(EXIT_PLUGIN);
            }
            sleep_s(0.0005);
        }
        pthread_join(g.workers[i].thread, NULL);
    }
    if (failing())
        die(EXIT_PLUGIN);
    /* ns/call is thread time per call; calls/s is all calls over the wall-clock span from
     * the first thread's start to the last thread's end, so threads that did not overlap
     * are not counted as parallel. */
    double ns = 0, cpu = 0, waiting = 0;
    int has_waiting = 1;
    uint64_t total = 0, first = UINT64_MAX, last = 0;
    for (unsigned i = 0; i < n; i++) {
        Worker *w = &g.workers[i];
        total += w->calls;
        ns += (double)(w->t1 - w->t0);
        cpu += (double)(w->cpu1 - w->cpu0);
        if (w->rq0 == UINT64_MAX || w->rq1 == UINT64_MAX)
            has_waiting = 0;
        else
            waiting += (double)(w->rq1 - w->rq0);
        first = w->t0 < first ? w->t0 : first;
        last = w->t1 > last ? w->t1 : last;
    }
    g.calls_total += total;
    out->calls = total;
    out->ns_per_call = total ? ns / (double)total : 0.0;
    out->calls_per_s = last > first ? (double)total * 1e9 / (double)(last - first) : 0.0;
    out->cpus = last > first ? cpu / (double)(last - first) : 0.0;
    out->waiting = !has_waiting ? -1.0 : last > first ? waiting / (double)(last - first) : 0.0;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void collect_latency(CaseResult *r, unsigned n) {
    size_t total = 0;
    for (unsigned i = 0; i < n; i++)
        total += g.workers[i].nlat;
    if (!total)
        return;
    uint64_t *all = malloc(total * sizeof *all);
    if (!all)
        return;
    size_t k = 0;
    for (unsigned i = 0; i < n; i++) {
        memcpy(all + k, g.workers[i].lat, g.workers[i].nlat * sizeof *all);
        k += g.workers[i].nlat;
    }
    qsort(all, total, sizeof *all, cmp_u64);
    r->has_latency = 1;
    r->lat_samples = total;
    r->p50_ns = (double)all[(total - 1) / 2];
    r->p99_ns = (double)all[(size_t)((double)(total - 1) * 0.99)];
    r->lat_max_ns = (double)all[total - 1];
    free(all);
}

static void run_case(CaseResult *r, unsigned n, unsigned inflight) {
    double run_s = g.seconds / g.runs;
    RunStats warm;
    r->threads = n;
    r->inflight = inflight;
    /* warm-up: one run, discarded */
    run_once(n, inflight, run_s, &warm);
    for (unsigned i = 0; i < n; i++)
        g.workers[i].nlat = 0;
    for (unsigned i = 0; i < g.runs; i++) {
        run_once(n, inflight, run_s, &r->run[i]);
        r->nruns++;
    }
    if (g.stamp)
        collect_latency(r, n);
}

/* ------------------------------------------------------------------ setup and output */

static void alloc_workers(void) {
    unsigned max_threads = 1, max_inflight = 1;
    for (unsigned i = 0; i < g.nthread_list; i++)
        if (g.thread_list[i] > max_threads)
            max_threads = g.thread_list[i];
    for (unsigned i = 0; i < g.ninflight_list; i++)
        if (g.inflight_list[i] > max_inflight)
            max_inflight = g.inflight_list[i];
    unsigned cells = 1;
    while (cells < max_inflight)
        cells <<= 1;
    g.workers = aligned_alloc(64, sizeof(Worker) * max_threads);
    if (!g.workers) {
        fail("out of memory");
        die(EXIT_PLUGIN);
    }
    memset(g.workers, 0, sizeof(Worker) * max_threads);
    for (unsigned i = 0; i < max_threads; i++) {
        Worker *w = &g.workers[i];
        w->index = i;
        w->mask = cells - 1;
        w->cells = aligned_alloc(64, sizeof(Cell) * cells);
        w->lat = g.stamp ? malloc(sizeof(uint64_t) * MAX_LATENCY_SAMPLES) : NULL;
        if (!w->cells || (g.stamp && !w->lat)) {
            fail("out of memory");
            die(EXIT_PLUGIN);
        }
        memset(w->cells, 0, sizeof(Cell) * cells);
        /* Touched now, so the resident set printed at the end does not grow with the
         * number of latency samples: its growth is the plugin's. */
        if (w->lat)
            memset(w->lat, 0, sizeof(uint64_t) * MAX_LATENCY_SAMPLES);
    }
}

/* The first call, before any timing: it fixes the expected answer length unless
 * --expect-bytes gave one, and fails fast on a plugin that answers wrongly. */
static void probe_call(void) {
    g.nworkers = 1;
    atomic_store(&g.live_workers, 1);
    Worker *w = &g.workers[0];
    uint64_t sid = next_sid(w);
    Cell *c = cell_of(w, sid);
    if (issue(w, sid, g.mode, 0))
        die(EXIT_PLUGIN);
    if (atomic_load_explicit(&c->done, ACQUIRE) != sid && wait_slow(c, sid))
        die(EXIT_PLUGIN);
    if (g.expect_bytes < 0)
        g.want_bytes = atomic_load_explicit(&c->bytes, RELAXED);
    if (await(w, sid, 0))
        die(EXIT_PLUGIN);
    g.calls_total += 1;
}

/* {"median", "min", "max"} of one field of the runs (offset of a double in RunStats). */
static void print_stats(const RunStats *runs, unsigned n, size_t offset) {
    double sorted[MAX_RUNS];
    for (unsigned i = 0; i < n; i++)
        memcpy(&sorted[i], (const char *)&runs[i] + offset, sizeof(double));
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && sorted[j - 1] > sorted[j]; j--) {
            double t = sorted[j];
            sorted[j] = sorted[j - 1];
            sorted[j - 1] = t;
        }
    double median = n % 2 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    printf("{\"median\": %.3f, \"min\": %.3f, \"max\": %.3f}", median, sorted[0], sorted[n - 1]);
}

static void print_case(const CaseResult *r) {
    uint64_t calls = 0;
    printf("{\"threads\": %u, \"inflight\": %u, \"runs\": [", r->threads, r->inflight);
    for (unsigned i = 0; i < r->nruns; i++) {
        const RunStats *run = &r->run[i];
        printf("%s{\"ns_per_call\": %.3f, \"calls_per_s\": %.1f, \"cpus\": %.3f, \"waiting\": %.3f, "
               "\"calls\": %" PRIu64 "}",
               i ? ", " : "", run->ns_per_call, run->calls_per_s, run->cpus, run->waiting, run->calls);
        calls += run->calls;
    }
    printf("], \"calls\": %" PRIu64 ", \"ns_per_call\": ", calls);
    print_stats(r->run, r->nruns, offsetof(RunStats, ns_per_call));
    printf(", \"calls_per_s\": ");
    print_stats(r->run, r->nruns, offsetof(RunStats, calls_per_s));
    printf(", \"cpus\": ");
    print_stats(r->run, r->nruns, offsetof(RunStats, cpus));
    if (r->has_latency)
        printf(", \"latency_ns\": {\"p50\": %.1f, \"p99\": %.1f, \"max\": %.1f, \"samples\": %zu}", r->p50_ns,
               r->p99_ns, r->lat_max_ns, r->lat_samples);
    printf("}");
}

static unsigned max_thread_count(void) {
    unsigned max_threads = 1;
    for (unsigned i = 0; i < g.nthread_list; i++)
        if (g.thread_list[i] > max_threads)
            max_threads = g.thread_list[i];
    return max_threads;
}

static uint64_t answers_total(void) {
    uint64_t n = 0;
    unsigned max_threads = max_thread_count();
    for (unsigned i = 0; i < max_threads; i++)
        for (uint64_t j = 0; j <= g.workers[i].mask; j++)
            n += atomic_load(&g.workers[i].cells[j].answers);
    return n;
}

#if NRB_ABI2
/* Frames taken through one answer path, over every cell of every worker. */
static uint64_t path_total(unsigned path) {
    uint64_t n = 0;
    for (unsigned i = 0; i < max_thread_count(); i++)
        for (uint64_t j = 0; j <= g.workers[i].mask; j++)
            n += atomic_load(&g.workers[i].cells[j].paths[path]);
    return n;
}
#endif

/* The process's resident set in KiB (VmRSS), -1 where the system does not say: with a
 * fixed number of calls it shows whether memory grows with the calls made (a leak). */
static long rss_kib(void) {
    char line[256];
    long kib = -1;
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kib = strtol(line + 6, NULL, 10);
            break;
        }
    fclose(f);
    return kib;
}

static void print_result(const CaseResult *cases, unsigned ncases) {
    const NrPluginInfo *info = g.info;
    printf("{\"ok\": true, \"harness_version\": %d, \"plugin\": ", HARNESS_VERSION);
    json_cstr(stdout, g.plugin_path);
    printf(", \"name\": ");
    json_string(stdout, info->name.ptr ? (const char *)info->name.ptr : "", info->name.ptr ? info->name.len : 0);
    printf(", \"version\": ");
    json_string(stdout, info->version.ptr ? (const char *)info->version.ptr : "",
                info->version.ptr ? info->version.len : 0);
    printf(", \"entry\": ");
    json_cstr(stdout, g.entry_text);
    printf(", \"mode\": \"%s\", \"state_extension\": %s, \"payload_bytes\": %" PRIu64 ", ", MODE_NAMES[g.mode],
           g.has_ext ? "true" : "false", (uint64_t)(g.mode == MODE_STREAM ? g.open_payload.len : g.payload.len));
    printf("\"abi\": %u, ", NR_ABI_VERSION);
#if NRB_ABI2
    printf("\"by_id\": %s, \"answer_paths\": {\"copy\": %" PRIu64 ", \"owned\": %" PRIu64 ", \"lease\": %" PRIu64
           "}, ", g.by_id ? "true" : "false", path_total(0), path_total(1), path_total(2));
#endif
    printf("\"expect\": {\"status\": \"%s\", \"frames\": %u, \"bytes\": %" PRIu64 "}, ", status_name(g.want_status),
           g.want_frames, g.want_bytes);
    printf("\"seconds\": %.6f, \"runs\": %u, \"fixed_calls\": %" PRIu64 ", \"cases\": [", g.seconds, g.runs,
           g.fixed_calls);
    for (unsigned i = 0; i < ncases; i++) {
        if (i)
            printf(", ");
        print_case(&cases[i]);
    }
    printf("], \"calls_total\": %" PRIu64 ", \"answers_total\": %" PRIu64 ", \"rss_kib\": %ld}\n", g.calls_total,
           answers_total(), rss_kib());
}

/* ------------------------------------------------------------------ arguments */

static unsigned parse_list(const char *opt, const char *text, unsigned *out, unsigned max_value) {
    unsigned n = 0;
    const char *p = text;
    while (*p) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || v == 0 || v > max_value || n == MAX_CASES)
            usage_error("%s: '%s' is not a comma-separated list of numbers 1..%u", opt, text, max_value);
        out[n++] = (unsigned)v;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            usage_error("%s: '%s' is not a comma-separated list of numbers 1..%u", opt, text, max_value);
    }
    if (!n)
        usage_error("%s: empty list", opt);
    return n;
}

static double parse_positive(const char *opt, const char *text) {
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !(v > 0))
        usage_error("%s: '%s' is not a positive number", opt, text);
    return v;
}

static enum mode parse_mode(const char *text) {
    for (unsigned i = 0; i < sizeof MODE_NAMES / sizeof MODE_NAMES[0]; i++)
        if (strcmp(text, MODE_NAMES[i]) == 0)
            return (enum mode)i;
    usage_error("--mode: '%s' is not one of raw, unary, async, stream, bidi", text);
}

static void parse_args(int argc, char **argv) {
    static const struct option opts[] = {
        {"entry", required_argument, 0, 'e'},   {"mode", required_argument, 0, 'm'},
        {"threads", required_argument, 0, 't'}, {"inflight", required_argument, 0, 'k'},
        {"seconds", required_argument, 0, 's'}, {"runs", required_argument, 0, 'r'},
        {"calls", required_argument, 0, 'c'},   {"timeout", required_argument, 0, 'T'},
        {"frames", required_argument, 0, 'f'},  {"payload", required_argument, 0, 'p'},
        {"expect-bytes", required_argument, 0, 'b'}, {"by-id", no_argument, 0, 'i'}, {0, 0, 0, 0},
    };
    char frames_text[24];
    static char stream_payload[24];
    g.mode = MODE_RAW;
    g.seconds = 1.0;
    g.runs = 5;
    g.timeout_s = 5.0;
    g.frames = 5;
    g.expect_bytes = -1;
    g.payload_text = "nylon-ring-bench";
    g.thread_list[0] = 1;
    g.nthread_list = 1;
    g.inflight_list[0] = 1;
    g.ninflight_list = 1;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'e': g.entry_text = optarg; break;
        case 'm': g.mode = parse_mode(optarg); break;
        case 't': g.nthread_list = parse_list("--threads", optarg, g.thread_list, MAX_WORKERS); break;
        case 'k': g.ninflight_list = parse_list("--inflight", optarg, g.inflight_list, MAX_INFLIGHT); break;
        case 's': g.seconds = parse_positive("--seconds", optarg); break;
        case 'r': g.runs = (unsigned)parse_positive("--runs", optarg); break;
        case 'c': g.fixed_calls = (uint64_t)parse_positive("--calls", optarg); break;
        case 'T': g.timeout_s = parse_positive("--timeout", optarg); break;
        case 'f': g.frames = (unsigned)parse_positive("--frames", optarg); break;
        case 'p': g.payload_text = optarg; break;
        case 'b': g.expect_bytes = (long long)strtoll(optarg, NULL, 10); break;
        case 'i':
#if NRB_ABI2
            g.by_id = 1;
            break;
#else
            usage_error("--by-id needs an ABI 2 plugin (ABI 1 has no integer dispatch)");
#endif
        default: usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
        }
    }
    if (optind != argc - 1)
        usage_error("expected exactly one plugin path after the options");
    if (!g.entry_text)
        usage_error("--entry is required");
    if (g.nthread_list * g.ninflight_list > MAX_CASES)
        usage_error("--threads x --inflight: at most %d combinations", MAX_CASES);
    if (g.runs > MAX_RUNS)
        usage_error("--runs: at most %d", MAX_RUNS);
    if (g.mode != MODE_ASYNC && (g.ninflight_list > 1 || g.inflight_list[0] != 1))
        usage_error("--inflight applies to mode async only");
    g.plugin_path = argv[optind];
    g.entry = str_of(g.entry_text);
    g.payload = bytes_of(g.payload_text);
    snprintf(frames_text, sizeof frames_text, "%u", g.frames);
    memcpy(stream_payload, frames_text, sizeof frames_text);
    g.open_payload = g.mode == MODE_STREAM ? bytes_of(stream_payload) : bytes_of("");
    g.streaming = g.mode == MODE_STREAM || g.mode == MODE_BIDI;
    g.stamp = g.mode == MODE_ASYNC;
    atomic_store(&g.hooks, g.streaming || g.stamp);
    g.want_status = g.streaming ? NR_STATUS_STREAM_END : NR_STATUS_OK;
    g.want_frames = g.streaming ? g.frames : 0;
    g.want_bytes = g.expect_bytes >= 0 ? (uint64_t)g.expect_bytes : 0;
#if !NRB_ABI2
    g.req.path = str_of("/hello");
    g.req.method = str_of("GET");
    g.req.query = str_of("a=1&b=2");
    g.req.headers = g_headers;
    g.req.headers_len = 4;
#endif
}

int main(int argc, char **argv) {
    static CaseResult cases[MAX_CASES];
    unsigned ncases = 0;
    parse_args(argc, argv);
    alloc_workers();
    load_plugin();
    check_layout_probe();
    init_plugin();
    probe_call();
    for (unsigned t = 0; t < g.nthread_list; t++)
        for (unsigned k = 0; k < g.ninflight_list; k++)
            run_case(&cases[ncases++], g.thread_list[t], g.inflight_list[k]);
    if (g.shutdown)
        g.shutdown(NRB_PLUGIN_CTX_ONLY);
    atomic_store(&g.shut, 1);
    atomic_store(&g.live_workers, 0);
    if (failing())
        die(EXIT_PLUGIN);
    uint64_t answers = answers_total();
    if (answers != g.calls_total || atomic_load(&g.stray_answers)) {
        fail("counted %" PRIu64 " terminal answers for %" PRIu64 " calls", answers, g.calls_total);
        die(EXIT_PLUGIN);
    }
    print_result(cases, ncases);
    fflush(stdout);
    /* No dlclose: runtimes such as Go's cannot be unloaded. */
    _exit(0);
}

/*
 * nr_plugin.c: the ABI side of nr_plugin.h (see the header for what it guarantees).
 *
 * This is the SDK's one core, for both ABI generations. What a generation adds (the
 * host's callbacks and their signatures, the vtable, the exported symbols, request
 * metadata and state on ABI 1, owned answers and leases on ABI 2) is its thin layer,
 * sdk/nr_abi1.c or sdk/nr_abi2.c, included at the end of this file as part of the same
 * translation unit, so the synchronous path inlines through it. The layer supplies the
 * layer_* functions declared below; the core supplies everything else.
 *
 * Layout of this file: views, the host gate (every call into the host from a thread
 * that may race shutdown passes it, so shutdown can wait for the last one), per-call
 * send guards, the panic boundary, routing and synchronous dispatch, the background
 * pool, bidirectional sessions, the embedded manifest, init and shutdown, and finally
 * the generation layer.
 *
 * The synchronous path (handle/handle_raw answered on the host's thread) is kept to
 * plain loads and few stores on the host thread's stack: routing is one probe of a
 * hash table built with the plugin info, the panic boundary is the compiler's own jump
 * buffer where it has one (sigsetjmp is a libc call per handler), and no shared memory
 * is written, so host threads calling in parallel do not slow each other down.
 */
#define _POSIX_C_SOURCE 200809L

#include "nr_plugin.h"

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Call state: bit 0 the final frame was claimed, bit 1 something was sent, above
 * that the number of frame senders still inside the host. */
#define CALL_ENDED 1u
#define CALL_SENT 2u
#define CALL_SENDER 4u
#define SESSION_BUCKETS 64u
#define GATE_STRIPES 16u
#define CACHE_LINE 64
#define PHASE_LIVE 1u
#define PHASE_STOPPING 2u
#define PANIC_MESSAGE_MAX 160
#define POOL_MAX 64u
#define SPINS_BEFORE_YIELD 64
/* The last worker to go idle polls the queue this long (ns) before it sleeps: a sleeping
 * worker costs the next call a wake-up system call, and a caller with one call in flight
 * sends the next one within a microsecond or two. One worker at most polls, and only
 * while no other runs a job. Build with -DNRP_POOL_POLL_NS=0 to never poll. */
#ifndef NRP_POOL_POLL_NS
#define NRP_POOL_POLL_NS 50000u
#endif
#define POOL_POLL_NS ((uint64_t)NRP_POOL_POLL_NS)
#define POOL_POLLERS 1u
/* A gap this long between two looks of a poll means the poller lost its CPU; polling then pauses this long. */
#define POOL_POLL_LOST_NS 20000u
#define POOL_POLL_BACKOFF_NS 20000000u
/* Jobs queued per busy worker before another worker is woken to help. */
#define POOL_BACKLOG 16u
/* How often the watching worker looks for a blocked pool (us), and after how many looks at an empty queue it stops. */
#define POOL_WATCH_US 1000u
#define POOL_WATCH_IDLE 20u
/* Jobs the queue holds by default (NrpPlugin.background_queue). */
#define POOL_QUEUE 4096u
#define BACKPRESSURE_WAIT_MS 5000u

#if defined(__GNUC__) || defined(__clang__)
#define NRP_LIKELY(x) __builtin_expect(!!(x), 1)
#define NRP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define NRP_NOINLINE __attribute__((noinline))
#define NRP_INLINE static inline __attribute__((always_inline))
/* A core function that only one generation's layer calls. */
#define NRP_LAYER_ONLY __attribute__((unused))
#else
#define NRP_LIKELY(x) (x)
#define NRP_UNLIKELY(x) (x)
#define NRP_NOINLINE
#define NRP_INLINE static inline
#define NRP_LAYER_ONLY
#endif

#ifndef NR_ENTRY_UNKNOWN
#define NR_ENTRY_UNKNOWN UINT32_MAX
#endif

/* A pause inside a polling loop: lets the other hyper-thread run, and saves power. */
#if defined(__x86_64__) || defined(__i386__)
#define NRP_PAUSE() __builtin_ia32_pause()
#elif defined(__aarch64__) && (defined(__GNUC__) || defined(__clang__))
#define NRP_PAUSE() __asm__ __volatile__("yield")
#else
#define NRP_PAUSE() ((void)0)
#endif

/* The panic boundary's jump buffer. GCC (every target) and clang (x86) have a built-in
 * one that saves a few registers, where sigsetjmp costs a libc call per handler; both
 * restore the callee-saved registers, and neither touches the signal mask. */
#if defined(__GNUC__) && (!defined(__clang__) || defined(__x86_64__) || defined(__i386__))
typedef void *nrp_jmp_buf[5];
#define NRP_SETJMP(env) __builtin_setjmp(env)
#define NRP_LONGJMP(env) __builtin_longjmp(env, 1)
#else
typedef sigjmp_buf nrp_jmp_buf;
#define NRP_SETJMP(env) sigsetjmp(env, 0)
#define NRP_LONGJMP(env) siglongjmp(env, 1)
#endif

/* Which thread armed a panic boundary: on Linux the thread pointer (one register read),
 * elsewhere pthread_self(). */
#if defined(__linux__) && defined(__has_builtin)
#if __has_builtin(__builtin_thread_pointer)
#define NRP_THREAD_POINTER 1
#endif
#endif
#ifdef NRP_THREAD_POINTER
typedef void *nrp_thread;
#define NRP_THIS_THREAD() __builtin_thread_pointer()
#define NRP_SAME_THREAD(a, b) ((a) == (b))
#else
typedef pthread_t nrp_thread;
#define NRP_THIS_THREAD() pthread_self()
#define NRP_SAME_THREAD(a, b) pthread_equal(a, b)
#endif

/* This thread as a number that no other live thread has; 0 where there is no cheap one
 * (then sends from a stream's callbacks take the gate like any other thread's). */
static inline uintptr_t thread_token(void) {
#ifdef NRP_THREAD_POINTER
    return (uintptr_t)__builtin_thread_pointer();
#else
    return 0;
#endif
}

typedef struct NrpSession NrpSession;
typedef struct NrpFrame NrpFrame;

/* ---- supplied by the generation layer (nr_abi1.c or nr_abi2.c, included at the end) ---- */

/* One frame to the host's send_result (the host copies `data` before it returns); the host's status. */
static inline NrStatus layer_send(uint64_t sid, NrStatus status, const void *data, size_t len);
/* Bytes a copy of `req` takes in a background job (false on overflow); 0 without a request. */
static bool layer_request_size(const struct NrRequest *req, size_t *total);
/* Copies `req` into `*cursor` (advanced; aligned for the request by the caller) and returns the copy. */
static const struct NrRequest *layer_copy_request(const struct NrRequest *req, uint8_t **cursor);
/* Shutdown's last step, after the gate closed: forget what the host handed over. */
static void layer_forget_host(void);
/* Whether probes answer (ABI 2: only with NYLON_RING_ENABLE_PROBES=1 at init). */
static bool layer_probes_live(void);
/* The manifest mode of an entry of `kind`. */
static const char *layer_mode(NrpKind kind);

/* One slot of the routing table (see routing below). */
enum { ROUTE_NOWHERE, ROUTE_SYNC, ROUTE_SHARED, ROUTE_INERT };

typedef struct NrpRoute {
    uint64_t head, tail;
    uint32_t len;
    /* ROUTE_SYNC: runs on the host's thread; ROUTE_SHARED: bidi or background; ROUTE_NOWHERE: no start;
     * ROUTE_INERT: a probe while probes are off (answers Unsupported) */
    uint32_t mode;
    const NrpEntry *entry; /* NULL: an empty slot */
} NrpRoute;

/*
 * A call. The synchronous path writes as little of it as it can (stores are what a
 * short call spends its time on): the fields after `user` belong to shared calls only.
 */
struct NrpCall {
    NrpCallHead head;      /* sid, payload, req: read by the header's inline accessors */
    const NrpRoute *route; /* the entry and the length of its name */
    atomic_uint state;
    NrpKind kind;
    /* Reached from other threads than the host's (background, bidirectional): sends
     * then take the atomic paths and the host gate. A synchronous call belongs to the
     * host's thread for the duration of handle, which shutdown cannot overlap. */
    bool shared;
    void *user;
    /* Shared calls only: */
    _Atomic(NrpFrame *) frame; /* the panic boundary of the handler running for this call */
    /* The thread_token() of the thread running a stream's callback inside a host call; 0: none. */
    _Atomic(uintptr_t) host_thread;
    NrpSession *session;
};

static const NrpEntry *call_entry(const NrpCall *call) { return call->route->entry; }

static const uint8_t empty_bytes[1];

/* ------------------------------------------------------------------ views */

NrStr nrp_str_n(const void *data, size_t len) {
    NrStr s;
    s.ptr = data != NULL ? (const uint8_t *)data : empty_bytes;
    s.len = data != NULL && len <= UINT32_MAX ? (uint32_t)len : 0;
    return s;
}

NrStr nrp_str(const char *text) { return nrp_str_n(text, text != NULL ? strlen(text) : 0); }

NrBytes nrp_bytes(const void *data, size_t len) {
    NrBytes b;
    b.ptr = data != NULL ? (const uint8_t *)data : empty_bytes;
    b.len = data != NULL ? (uint64_t)len : 0;
    return b;
}

NrStr nrp_str_view(NrStr s) { return s.ptr != NULL ? s : nrp_str_n(NULL, 0); }

NrBytes nrp_bytes_view(NrBytes b) { return b.ptr != NULL ? b : nrp_bytes(NULL, 0); }

bool nrp_str_eq(NrStr s, const char *text) {
    size_t n = text != NULL ? strlen(text) : 0;
    return s.len == n && (n == 0 || (s.ptr != NULL && memcmp(s.ptr, text, n) == 0));
}

/* Length of the UTF-8 sequence starting at p[0] (1..4), or 0 when it is malformed. */
static size_t utf8_sequence(const uint8_t *p, size_t left) {
    uint8_t c = p[0];
    size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0 || n > left) return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
    }
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F)) return 0; /* overlong, surrogate */
    if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F)) return 0; /* overlong, > U+10FFFF */
    return n;
}

bool nrp_utf8_valid(const void *data, size_t len) {
    const uint8_t *p = data;
    if (p == NULL) return len == 0;
    for (size_t i = 0; i < len;) {
        size_t n = utf8_sequence(p + i, len - i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

static bool str_ok(NrStr s) { return s.ptr != NULL || s.len == 0; }

static bool bytes_ok(NrBytes b) { return (b.ptr != NULL || b.len == 0) && (uint64_t)(size_t)b.len == b.len; }

/* A lock for short critical sections (a table lookup, one callback of a stream):
 * two atomic operations when free, where a mutex costs two library calls. */
static NRP_NOINLINE void spin_wait(atomic_bool *lock) {
    do {
        for (int i = 0; atomic_load_explicit(lock, memory_order_relaxed); i++) {
            if (i >= SPINS_BEFORE_YIELD) sched_yield();
        }
    } while (atomic_exchange_explicit(lock, true, memory_order_acquire));
}

NRP_INLINE void spin_lock(atomic_bool *lock) {
    if (NRP_UNLIKELY(atomic_exchange_explicit(lock, true, memory_order_acquire))) spin_wait(lock);
}

NRP_INLINE void spin_unlock(atomic_bool *lock) { atomic_store_explicit(lock, false, memory_order_release); }

/* ------------------------------------------------------------------ the host gate */

/* One counter of calls into the host in progress, on a cache line of its own. */
typedef struct NrpStripe {
    _Alignas(CACHE_LINE) atomic_size_t callers;
} NrpStripe;

/* PHASE_LIVE: init done, shutdown not finished, the host may be called; PHASE_STOPPING:
 * shutdown has begun, no new work. One word, so the synchronous path checks both at once. */
static atomic_uint phase;
/* Calls into the host in progress from threads that may race shutdown, spread by sid
 * so that streams on different threads do not share a counter. */
static NrpStripe host_callers[GATE_STRIPES];

static atomic_size_t *gate_of(uint64_t sid) {
    return &host_callers[((sid * UINT64_C(0x9E3779B97F4A7C15)) >> 60) & (GATE_STRIPES - 1)].callers;
}

/* Enters a call into the host; false once shutdown has closed the gate. */
static bool host_enter(uint64_t sid) {
    atomic_size_t *gate = gate_of(sid);
    atomic_fetch_add(gate, 1);
    if (atomic_load(&phase) & PHASE_LIVE) return true;
    atomic_fetch_sub(gate, 1);
    return false;
}

static void host_leave(uint64_t sid) { atomic_fetch_sub(gate_of(sid), 1); }

/*
 * Whether a call into the host for `call` must pass the gate: a synchronous call runs
 * inside handle, and a stream's callback inside stream_data or stream_close on the
 * thread that marked the call; shutdown overlaps neither, so a check of the phase
 * suffices there. Any other thread may race shutdown.
 */
static bool needs_gate(const NrpCall *call) {
    if (!call->shared) return false;
    uintptr_t inside = atomic_load_explicit(&call->host_thread, memory_order_relaxed);
    return inside == 0 || inside != thread_token();
}

/* A call into the host on behalf of `call`, through the gate when `gated`. */
static bool host_begin(const NrpCall *call, bool gated) {
    return gated ? host_enter(call->head.sid) : (atomic_load_explicit(&phase, memory_order_acquire) & PHASE_LIVE);
}

static void host_end(const NrpCall *call, bool gated) {
    if (gated) host_leave(call->head.sid);
}

/* What a send's host status means to the sender. */
NRP_INLINE NrpSend sent_as(NrStatus host_status) {
    if (NRP_LIKELY(host_status == NR_STATUS_OK)) return NRP_SENT;
#if NRP_ABI >= 2
    if (host_status == NR_STATUS_BACKPRESSURE) return NRP_BACKPRESSURE;
#endif
    return NRP_REFUSED;
}

static NrpSend host_send(const NrpCall *call, NrStatus status, const void *data, size_t len) {
    bool gated = needs_gate(call);
    if (!host_begin(call, gated)) return NRP_SHUT_DOWN;
    NrStatus got = layer_send(call->head.sid, status, data, len);
    host_end(call, gated);
    return sent_as(got);
}

/* A pause of about `us` microseconds (the backoff of a send the host answered Backpressure). */
static void pause_us(unsigned us) {
    struct timespec t = {0, (long)us * 1000L};
    nanosleep(&t, NULL);
}

static unsigned backpressure_wait_ms(void) {
    return nrp_plugin.backpressure_wait_ms != 0 ? nrp_plugin.backpressure_wait_ms : BACKPRESSURE_WAIT_MS;
}

/*
 * Sends `data` for `sid` through the gate until the host takes it: while it answers
 * Backpressure, with a pause growing from 1 us to 1 ms, for at most the plugin's wait,
 * and not once shutdown has begun. For threads outside a host call.
 */
static NrpSend send_retrying(uint64_t sid, NrStatus status, const void *data, size_t len) {
    unsigned long waited_us = 0, limit_us = backpressure_wait_ms() * 1000UL;
    for (unsigned pause = 1;; pause = pause < 1000 ? pause * 2 : 1000) {
        if (!host_enter(sid)) return NRP_SHUT_DOWN;
        NrpSend result = sent_as(layer_send(sid, status, data, len));
        host_leave(sid);
        if (result != NRP_BACKPRESSURE || waited_us >= limit_us || nrp_shutting_down()) return result;
        pause_us(pause);
        waited_us += pause;
    }
}

/* Shutdown's last step: no call enters the host after this returns. */
static void close_host_gate(void) {
    atomic_fetch_and(&phase, ~PHASE_LIVE);
    for (unsigned i = 0; i < GATE_STRIPES; i++) {
        while (atomic_load(&host_callers[i].callers) != 0) sched_yield();
    }
    layer_forget_host();
}

bool nrp_shutting_down(void) { return atomic_load(&phase) & PHASE_STOPPING; }

/* ------------------------------------------------------------------ sending */

static void session_retain(NrpSession *s);
static void session_release(NrpSession *s);
static void session_unlist(NrpSession *s);
static NrpSend defer_final(uint64_t sid, NrStatus status, const void *data, size_t len);

/*
 * A terminal frame the host answered Backpressure (its stream queue was full): it must
 * still arrive, exactly once. Off the host's threads the sender retries; inside a host
 * call the host cannot drain its queue before the call returns, so a background worker
 * retries it then.
 */
static NRP_NOINLINE NrpSend final_backpressure(const NrpCall *call, NrStatus status, const void *data, size_t len) {
    if (needs_gate(call)) return send_retrying(call->head.sid, status, data, len);
    return defer_final(call->head.sid, status, data, len);
}

/* A terminal frame, once the call's final answer has been claimed. */
static NrpSend send_claimed(const NrpCall *call, NrStatus status, const void *data, size_t len) {
    NrpSend result = host_send(call, status, data, len);
    return result == NRP_BACKPRESSURE ? final_backpressure(call, status, data, len) : result;
}

/* Claims the final answer of a shared call, and waits for its frames still inside the host; false when it had one. */
static bool claim_shared(NrpCall *call) {
    unsigned prev = atomic_fetch_or(&call->state, CALL_ENDED | CALL_SENT);
    if (prev & CALL_ENDED) return false;
    while (atomic_load(&call->state) >= CALL_SENDER) sched_yield();
    return true;
}

/*
 * Runs `send` for the claimed final answer of a shared call. A stream's sid is forgotten
 * before its terminal frame goes out (the host may reuse it at once); the session is
 * kept alive until the send returns.
 */
static NrpSend finish_shared(NrpCall *call, NrpSend (*send)(const NrpCall *, void *), void *arg) {
    NrpSession *session = call->session;
    if (session == NULL) return send(call, arg);
    session_retain(session);
    session_unlist(session);
    NrpSend result = send(call, arg);
    session_release(session);
    return result;
}

/* A frame's status, data and length, for the senders that take one argument. */
typedef struct NrpOut {
    NrStatus status;
    const void *data;
    size_t len;
} NrpOut;

static NrpSend send_out(const NrpCall *call, void *arg) {
    const NrpOut *out = arg;
    return send_claimed(call, out->status, out->data, out->len);
}

/* The final frame of a shared call. */
static NRP_NOINLINE NrpSend send_final_shared(NrpCall *call, NrStatus status, const void *data, size_t len) {
    if (!claim_shared(call)) return NRP_ENDED;
    NrpOut out = {status, data, len};
    return finish_shared(call, send_out, &out);
}

/* A send for a call that is not shared: it runs inside handle, so a check of the phase is all the gate it needs. */
NRP_INLINE NrpSend send_unshared(const NrpCall *call, NrStatus status, const void *data, size_t len) {
    if (!(atomic_load_explicit(&phase, memory_order_acquire) & PHASE_LIVE)) return NRP_SHUT_DOWN;
    return sent_as(layer_send(call->head.sid, status, data, len));
}

/* Claims the final answer of a call that is not shared (a plain store: it belongs to this thread); false when it had one. */
NRP_INLINE bool claim_unshared(NrpCall *call) {
    unsigned state = atomic_load_explicit(&call->state, memory_order_relaxed);
    if (state & CALL_ENDED) return false;
    atomic_store_explicit(&call->state, state | CALL_ENDED | CALL_SENT, memory_order_relaxed);
    return true;
}

NRP_INLINE NrpSend send_final(NrpCall *call, NrStatus status, const void *data, size_t len) {
    if (NRP_UNLIKELY(call->shared)) return send_final_shared(call, status, data, len);
    if (!claim_unshared(call)) return NRP_ENDED;
    NrpSend result = send_unshared(call, status, data, len);
    return NRP_LIKELY(result != NRP_BACKPRESSURE) ? result : final_backpressure(call, status, data, len);
}

/*
 * Claims the final answer of any call and runs `send` for it (the owned and leased
 * answers of the ABI 2 layer): NRP_ENDED when the call had its answer.
 */
NRP_LAYER_ONLY static NrpSend send_final_via(NrpCall *call, NrpSend (*send)(const NrpCall *, void *), void *arg) {
    if (call->shared) return claim_shared(call) ? finish_shared(call, send, arg) : NRP_ENDED;
    return claim_unshared(call) ? send(call, arg) : NRP_ENDED;
}

/* A frame of a shared call: counted as a sender (and marked sent) in one step, so the final frame waits for it. */
static NRP_NOINLINE NrpSend send_frame_shared(NrpCall *call, const void *data, size_t len) {
    unsigned prev = atomic_load_explicit(&call->state, memory_order_relaxed);
    do {
        if (prev & CALL_ENDED) return NRP_ENDED;
    } while (!atomic_compare_exchange_weak(&call->state, &prev, (prev | CALL_SENT) + CALL_SENDER));
    NrpSend result = host_send(call, NR_STATUS_OK, data, len);
    atomic_fetch_sub(&call->state, CALL_SENDER);
    return result;
}

NRP_INLINE NrpSend send_frame(NrpCall *call, const void *data, size_t len) {
    if (call->shared) return send_frame_shared(call, data, len);
    unsigned state = atomic_load_explicit(&call->state, memory_order_relaxed);
    if (state & CALL_ENDED) return NRP_ENDED;
    atomic_store_explicit(&call->state, state | CALL_SENT, memory_order_relaxed);
    return send_unshared(call, NR_STATUS_OK, data, len);
}

static bool is_error(NrStatus status) {
    return status == NR_STATUS_ERR || status == NR_STATUS_INVALID || status == NR_STATUS_UNSUPPORTED ||
           status == NRP_STATUS_PANIC;
}

/* The status a final answer goes out with: streams end with StreamEnd unless it is an error. */
static NrStatus final_status(const NrpCall *call, NrStatus status) {
    return call->kind != NRP_UNARY && !is_error(status) ? NR_STATUS_STREAM_END : status;
}

NrpSend nrp_reply(NrpCall *call, NrStatus status, const void *data, size_t len) {
    if (call == NULL || (data == NULL && len != 0)) return NRP_BAD_ARGUMENT;
    return send_final(call, final_status(call, status), data, len);
}

NrpSend nrp_reply_str(NrpCall *call, NrStatus status, const char *text) {
    return nrp_reply(call, status, text, text != NULL ? strlen(text) : 0);
}

NrpSend nrp_frame(NrpCall *call, const void *data, size_t len) {
    if (call == NULL || (data == NULL && len != 0)) return NRP_BAD_ARGUMENT;
    if (call->kind == NRP_UNARY) return NRP_WRONG_KIND;
    return send_frame(call, data, len);
}

NrpSend nrp_frame_wait(NrpCall *call, const void *data, size_t len) {
    NrpSend result = nrp_frame(call, data, len);
    if (result != NRP_BACKPRESSURE || !needs_gate(call)) return result;
    unsigned long waited_us = 0, limit_us = backpressure_wait_ms() * 1000UL;
    for (unsigned pause = 1; result == NRP_BACKPRESSURE && waited_us < limit_us && !nrp_shutting_down();
         pause = pause < 1000 ? pause * 2 : 1000) {
        pause_us(pause);
        waited_us += pause;
        result = nrp_frame(call, data, len);
    }
    return result;
}

NrpSend nrp_end(NrpCall *call) {
    if (call == NULL) return NRP_BAD_ARGUMENT;
    if (call->kind == NRP_UNARY) return NRP_WRONG_KIND;
    return send_final(call, NR_STATUS_STREAM_END, NULL, 0);
}

NrpSend nrp_fail(NrpCall *call, NrStatus status, const char *message) {
    if (call == NULL) return NRP_BAD_ARGUMENT;
    return send_final(call, is_error(status) ? status : NR_STATUS_ERR, message, message != NULL ? strlen(message) : 0);
}

bool nrp_done(const NrpCall *call) { return call == NULL || (atomic_load(&((NrpCall *)call)->state) & CALL_ENDED); }

/* ------------------------------------------------------------------ the call */

NRP_INLINE void call_init(NrpCall *call, const NrpRoute *route, uint64_t sid, const struct NrRequest *req, NrBytes payload,
                          bool shared) {
    call->head.sid = sid;
    call->head.payload = nrp_bytes_view(payload);
    call->head.req = req;
    call->route = route;
    atomic_init(&call->state, 0u);
    call->kind = route->entry->kind;
    call->shared = shared;
    call->user = NULL;
    if (shared) {
        atomic_init(&call->frame, NULL);
        atomic_init(&call->host_thread, (uintptr_t)0);
        call->session = NULL;
    }
}

NrStr nrp_entry_name(const NrpCall *call) {
    return call != NULL ? nrp_str_n(call_entry(call)->name, call->route->len) : nrp_str(NULL);
}
void *nrp_user(const NrpCall *call) { return call != NULL ? call->user : NULL; }

void nrp_set_user(NrpCall *call, void *user) {
    if (call != NULL) call->user = user;
}

/* ------------------------------------------------------------------ the panic boundary */

struct NrpFrame {
    nrp_jmp_buf env;
    NrpCall *call; /* NULL for a lifecycle hook (unset for a synchronous call: see NrpSyncCall) */
    nrp_thread thread;
    NrpFrame *prev;
    char message[PANIC_MESSAGE_MAX];
};

/* A synchronous call and its panic boundary, together on run_sync's stack (so the call needs no pointer to it). */
typedef struct NrpSyncCall {
    NrpCall call;
    NrpFrame frame;
} NrpSyncCall;

/* The boundary of a lifecycle hook (no call) running on this thread; handlers keep theirs in the call. */
static _Thread_local NrpFrame *hook_frame;

NRP_INLINE void frame_push(NrpFrame *frame, NrpCall *call) {
    frame->call = call;
    frame->thread = NRP_THIS_THREAD();
    if (call != NULL) {
        frame->prev = atomic_load_explicit(&call->frame, memory_order_relaxed);
        atomic_store_explicit(&call->frame, frame, memory_order_relaxed);
    } else {
        frame->prev = hook_frame;
        hook_frame = frame;
    }
}

NRP_INLINE void frame_pop(NrpFrame *frame) {
    if (frame->call != NULL) {
        atomic_store_explicit(&frame->call->frame, frame->prev, memory_order_relaxed);
    } else {
        hook_frame = frame->prev;
    }
}

/*
 * Runs a handler of `call`; a nrp_panic inside it lands here and fails the call with
 * NRP_STATUS_PANIC. Never inlined: the jump buffer needs a frame of its own that outlives the handler.
 */
static NRP_NOINLINE NrStatus run_handler(NrpCall *call, NrpHandler handler) {
    NrpFrame frame;
    volatile NrStatus status = NR_STATUS_ERR;
    frame_push(&frame, call);
    if (NRP_SETJMP(frame.env) == 0) {
        status = handler(call);
    } else {
        nrp_fail(frame.call, NRP_STATUS_PANIC, frame.message);
    }
    frame_pop(&frame);
    return status;
}

/* A bidirectional stream's data handler, behind the same boundary. */
static NRP_NOINLINE NrStatus run_data_handler(NrpCall *call, NrpDataHandler handler, NrBytes data) {
    NrpFrame frame;
    volatile NrStatus status = NR_STATUS_ERR;
    frame_push(&frame, call);
    if (NRP_SETJMP(frame.env) == 0) {
        status = handler(call, data);
    } else {
        nrp_fail(frame.call, NRP_STATUS_PANIC, frame.message);
    }
    frame_pop(&frame);
    return status;
}

/* A lifecycle hook (on_init, on_shutdown): a nrp_panic inside it returns Err here. */
static NRP_NOINLINE NrStatus run_hook(NrStatus (*hook)(void), void (*void_hook)(void)) {
    NrpFrame frame;
    volatile NrStatus status = NR_STATUS_ERR;
    frame_push(&frame, NULL);
    if (NRP_SETJMP(frame.env) == 0) {
        if (hook != NULL) {
            status = hook();
        } else {
            void_hook();
            status = NR_STATUS_OK;
        }
    }
    frame_pop(&frame);
    return status;
}

/* A background entry's accept check, on the host's thread: a nrp_panic inside it rejects the call with Err. */
static NRP_NOINLINE NrStatus run_accept(NrStatus (*accept)(NrBytes payload), NrBytes payload) {
    NrpFrame frame;
    volatile NrStatus status = NR_STATUS_ERR;
    frame_push(&frame, NULL);
    if (NRP_SETJMP(frame.env) == 0) status = accept(payload);
    frame_pop(&frame);
    return status;
}

void nrp_panic(NrpCall *call, const char *message) {
    NrpFrame *frame = NULL;
    if (call != NULL) {
        frame = call->shared ? atomic_load_explicit(&call->frame, memory_order_relaxed)
                             : &((NrpSyncCall *)(void *)call)->frame;
    }
    const char *text = message != NULL && message[0] != '\0' ? message : "panic";
    if (frame == NULL || !NRP_SAME_THREAD(frame->thread, NRP_THIS_THREAD())) frame = hook_frame;
    if (frame == NULL) {
        nrp_fail(call, NRP_STATUS_PANIC, text);
        pthread_exit(NULL);
    }
    size_t n = strlen(text);
    if (n >= sizeof(frame->message)) n = sizeof(frame->message) - 1;
    memcpy(frame->message, text, n);
    frame->message[n] = '\0';
    NRP_LONGJMP(frame->env);
}

/* A rejection must be an error status; anything else a handler returns becomes Err. */
static NrStatus as_rejection(NrStatus status) { return is_error(status) ? status : NR_STATUS_ERR; }

/* After a synchronous handler that did not end its call: what handle returns, and the Err a forgetful handler owes. */
static NRP_NOINLINE NrStatus settle_open(NrpCall *call, NrStatus status, unsigned state) {
    if (state & CALL_SENT) {
        nrp_fail(call, NR_STATUS_ERR, "the stream handler returned without ending the stream");
        return NR_STATUS_OK;
    }
    if (status != NR_STATUS_OK) return as_rejection(status);
    nrp_fail(call, NR_STATUS_ERR, "the handler returned Ok without answering");
    return NR_STATUS_OK;
}

static NrStatus settle(NrpCall *call, NrStatus status) {
    unsigned state = atomic_load_explicit(&call->state, memory_order_relaxed);
    return NRP_LIKELY(state & CALL_ENDED) ? NR_STATUS_OK : settle_open(call, status, state);
}

/* After a nrp_panic in a synchronous handler: the call fails with NRP_STATUS_PANIC and the panic's message. */
static NRP_NOINLINE NrStatus settle_panic(NrpSyncCall *sync) {
    nrp_fail(&sync->call, NRP_STATUS_PANIC, sync->frame.message);
    return settle(&sync->call, NR_STATUS_ERR);
}

/* ------------------------------------------------------------------ routing */

/*
 * The entry table as an open-addressing hash table, built once with the plugin info.
 * A name's key is its length plus its first and last 8 bytes (overlapping windows for
 * shorter names, so a key holds every byte of a name up to 16 bytes long): one probe
 * compares the key, and only names longer than 16 bytes compare their middle.
 */

static NrpRoute *routes;  /* filled once with the plugin info; NULL (out of memory): init fails */
static size_t route_mask; /* table size - 1 (a power of two, at least twice the entries) */

NRP_INLINE void name_key(const uint8_t *p, size_t n, uint64_t *head, uint64_t *tail) {
    uint64_t a = 0, b = 0;
    if (n >= 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + n - 8, 8);
    } else if (n >= 4) {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, p + n - 4, 4);
        a = x;
        b = y;
    } else if (n > 0) {
        a = (uint64_t)p[0] | (uint64_t)p[n / 2] << 8 | (uint64_t)p[n - 1] << 16;
    }
    *head = a;
    *tail = b;
}

/* Names that share their first 8 bytes and length share a slot: the probe moves on. */
NRP_INLINE size_t route_slot(uint64_t head, size_t len) {
    return (size_t)(((head + len) * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & route_mask;
}

/* The bytes of a name longer than 16 that its key does not hold. */
static NRP_NOINLINE bool middle_matches(const NrpRoute *r, const uint8_t *name) {
    return memcmp(r->entry->name + 8, name + 8, r->len - 16) == 0;
}

NRP_INLINE bool route_matches(const NrpRoute *r, const uint8_t *name, size_t len, uint64_t head, uint64_t tail) {
    return r->len == len && r->head == head && r->tail == tail && (len <= 16 || middle_matches(r, name));
}

/* The route of an entry name; NULL when no entry has it. */
static const NrpRoute *find_route(const uint8_t *name, size_t len) {
    uint64_t head, tail;
    name_key(name, len, &head, &tail);
    for (size_t i = route_slot(head, len);; i = (i + 1) & route_mask) {
        const NrpRoute *r = &routes[i];
        if (r->entry == NULL) return NULL;
        if (route_matches(r, name, len, head, tail)) return r;
    }
}


/* How the route of `e` runs; a probe is inert unless probes are `live`. */
static uint32_t route_mode(const NrpEntry *e, bool live) {
    if (e->start == NULL) return ROUTE_NOWHERE;
    if (e->probe && !live) return ROUTE_INERT;
    return e->run == NRP_BACKGROUND || e->kind == NRP_BIDI ? ROUTE_SHARED : ROUTE_SYNC;
}

/* Builds the table (the first of equal names wins, as in the entry list); NULL when out of memory. */
static void build_routes(void) {
    size_t size = 8;
    while (size < 2 * nrp_plugin.entry_count) size *= 2;
    NrpRoute *table = calloc(size, sizeof(NrpRoute));
    if (table == NULL) return;
    route_mask = size - 1;
    routes = table;
    for (size_t i = 0; i < nrp_plugin.entry_count; i++) {
        const NrpEntry *e = &nrp_plugin.entries[i];
        if (e->name == NULL) continue;
        const uint8_t *name = (const uint8_t *)e->name;
        size_t len = strlen(e->name);
        uint64_t head, tail;
        name_key(name, len, &head, &tail);
        size_t slot = route_slot(head, len);
        while (table[slot].entry != NULL && !route_matches(&table[slot], name, len, head, tail)) {
            slot = (slot + 1) & route_mask;
        }
        if (table[slot].entry != NULL) continue;
        table[slot] = (NrpRoute){head, tail, (uint32_t)len, route_mode(e, false), e};
    }
}

/* Probes answer, or answer Unsupported (init sets it before any call is routed). */
static void arm_probes(bool live) {
    for (size_t i = 0; routes != NULL && i <= route_mask; i++) {
        if (routes[i].entry != NULL && routes[i].entry->probe) routes[i].mode = route_mode(routes[i].entry, live);
    }
}

/* An entry's id for integer dispatch: its slot in the table, valid for the loaded instance. */
NRP_LAYER_ONLY static uint32_t route_id(NrStr entry) {
    if (routes == NULL || !str_ok(entry)) return NR_ENTRY_UNKNOWN;
    const NrpRoute *r = find_route(entry.ptr, entry.len);
    return r != NULL ? (uint32_t)(r - routes) : NR_ENTRY_UNKNOWN;
}

/*
 * A synchronous call from start to end: the call on this stack, the handler behind
 * its panic boundary, then what handle returns. Kept apart from the routing: a
 * function with a jump buffer keeps its variables in memory, so it does no more than this.
 */
static NRP_NOINLINE NrStatus run_sync(const NrpRoute *route, uint64_t sid, const struct NrRequest *req, NrBytes payload) {
    NrpSyncCall sync;
    call_init(&sync.call, route, sid, req, payload, false);
    sync.frame.thread = NRP_THIS_THREAD();
    if (NRP_SETJMP(sync.frame.env) != 0) return settle_panic(&sync); /* a nrp_panic landed here */
    return settle(&sync.call, route->entry->start(&sync.call));
}

static NrStatus start_background(const NrpCall *borrowed);
static NrStatus open_session(const NrpCall *borrowed);

/* An entry name that routes nowhere: Unsupported, or Invalid when it is not even text. */
static NRP_NOINLINE NrStatus unknown_entry(NrStr entry) {
    return nrp_utf8_valid(entry.ptr, entry.len) ? NR_STATUS_UNSUPPORTED : NR_STATUS_INVALID;
}

/* A call that does not run on the host's thread: a bidirectional stream, or work for the background pool. */
static NRP_NOINLINE NrStatus run_shared(const NrpRoute *r, uint64_t sid, const struct NrRequest *req, NrBytes payload) {
    NrpCall call;
    call_init(&call, r, sid, req, payload, false);
    if (call.kind == NRP_BIDI) return open_session(&call);
    if (r->entry->accept != NULL) {
        NrStatus accepted = run_accept(r->entry->accept, call.head.payload);
        if (accepted != NR_STATUS_OK) return as_rejection(accepted); /* rejected: nothing is sent */
    }
    return start_background(&call);
}

/* Runs the call `r` routes to; every branch is a tail call, so routing keeps no frame of its own. */
NRP_INLINE NrStatus run_route(const NrpRoute *r, NrStr entry, uint64_t sid, const struct NrRequest *req, NrBytes payload) {
    if (NRP_LIKELY(r != NULL && r->mode == ROUTE_SYNC)) return run_sync(r, sid, req, payload);
    if (r != NULL && r->mode == ROUTE_SHARED) return run_shared(r, sid, req, payload);
    if (r != NULL && r->mode == ROUTE_INERT) return NR_STATUS_UNSUPPORTED;
    return unknown_entry(entry);
}

/* The general case: a name longer than 16 bytes, or one whose first probe found another name. */
static NRP_NOINLINE NrStatus dispatch_probing(NrStr entry, uint64_t sid, const struct NrRequest *req, NrBytes payload) {
    return run_route(find_route(entry.ptr, entry.len), entry, sid, req, payload);
}

/*
 * handle and handle_raw once their own checks are done. The common case, a name of at
 * most 16 bytes (which its key holds whole) found by the first probe, takes no loop
 * and no call, so it needs no frame before the tail call that runs the entry.
 */
NRP_INLINE NrStatus dispatch(NrStr entry, uint64_t sid, const struct NrRequest *req, NrBytes payload) {
    if (atomic_load_explicit(&phase, memory_order_acquire) != PHASE_LIVE) return NR_STATUS_ERR;
    if (!str_ok(entry) || !bytes_ok(payload)) return NR_STATUS_INVALID;
    if (entry.len > 16) return dispatch_probing(entry, sid, req, payload);
    uint64_t head, tail;
    name_key(entry.ptr, entry.len, &head, &tail);
    const NrpRoute *r = &routes[route_slot(head, entry.len)];
    if (r->entry == NULL) return unknown_entry(entry);
    if (r->len != entry.len || r->head != head || r->tail != tail) return dispatch_probing(entry, sid, req, payload);
    return run_route(r, entry, sid, req, payload);
}

/* handle_by_id: exactly what handle does with the name `id` was resolved from; an id never given out is an unknown entry. */
NRP_LAYER_ONLY static NrStatus dispatch_id(uint32_t id, uint64_t sid, NrBytes payload) {
    if (atomic_load_explicit(&phase, memory_order_acquire) != PHASE_LIVE) return NR_STATUS_ERR;
    if (!bytes_ok(payload)) return NR_STATUS_INVALID;
    if (id > route_mask || routes[id].entry == NULL) return NR_STATUS_UNSUPPORTED;
    const NrpRoute *r = &routes[id];
    return run_route(r, nrp_str_n(r->entry->name, r->len), sid, NULL, payload);
}

/* ------------------------------------------------------------------ the background pool */

/*
 * Background handlers run on a pool of worker threads, started on demand (at most
 * NrpPlugin.background_threads, by default one per CPU and at least 2) and fed from a
 * bounded queue (NrpPlugin.background_queue jobs, by default 4096); never a thread per
 * call. A full queue refuses the call: handle returns Backpressure (ABI 2) or Err
 * (ABI 1) and nothing is sent.
 *
 * What an answer from another thread costs most is waking a sleeping thread, so wake-ups
 * are kept rare:
 *  - a worker that finishes a job takes the next one without sleeping, and the last
 *    worker to go idle polls the queue for NRP_POOL_POLL_NS before it sleeps, so calls
 *    that come back to back (one in flight) find it awake;
 *  - a call queued while a worker is polling, or while the busy workers have fewer than
 *    POOL_BACKLOG jobs each, wakes nobody: one busy worker drains a burst the way a
 *    single background thread would, without the other workers taking CPUs the callers
 *    need;
 *  - so that a handler which blocks does not hold up the queue, one idle worker keeps
 *    watch while others are busy: every POOL_WATCH_US it looks, and when jobs wait and
 *    no job has finished since its last look, it takes one. It stops watching once the
 *    pool has been idle for POOL_WATCH_IDLE looks.
 * Shutdown refuses new work, waits until the queue is empty and every handler has
 * returned, then joins the workers; the next init starts a new pool on demand.
 */

typedef struct NrpJob {
    NrpCall call;
    struct NrpJob *next;
    /* A terminal frame the host answered Backpressure inside a host call: sent again
     * from here (the payload is its data), instead of running a handler. */
    bool retry;
    NrStatus retry_status;
} NrpJob;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;  /* a job was queued for a sleeping worker, or shutdown ended the workers' generation */
    pthread_cond_t watch; /* the watching worker's timed wait */
    pthread_cond_t quiet; /* a job finished while shutdown waits for the last one */
    NrpJob *head, *tail;
    size_t count;         /* jobs in the queue */
    atomic_size_t queued; /* `count`, for the polling worker, which looks without the lock */
    atomic_uint polling;  /* workers polling the queue (the next job needs no wake-up) */
    unsigned generation;  /* bumped by shutdown: workers of older generations exit */
    unsigned threads;     /* workers of this generation (their ids are in ids[]) */
    unsigned size;        /* how many workers this generation may have (0: not decided yet) */
    unsigned sleeping;    /* workers waiting on `work` */
    unsigned wakes;       /* signals sent (and threads started) that no worker has taken up yet */
    unsigned running;     /* jobs in progress */
    bool watching;        /* a worker keeps watch for blocked handlers */
    bool watch_wanted;    /* the next worker to wake up keeps watch instead of taking a job */
    unsigned long finished; /* jobs finished: what the watching worker compares */
    bool draining;        /* shutdown waits on `quiet` */
    pthread_t ids[POOL_MAX];
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER,
          .work = PTHREAD_COND_INITIALIZER,
          .watch = PTHREAD_COND_INITIALIZER,
          .quiet = PTHREAD_COND_INITIALIZER};

static bool add_size(size_t *total, uint64_t n) {
    if (n > SIZE_MAX - *total) return false;
    *total += (size_t)n;
    return true;
}

/* `n` rounded up to the alignment of pointers (where a request copy goes). */
static size_t align_up(size_t n) { return (n + _Alignof(max_align_t) - 1) / _Alignof(max_align_t) * _Alignof(max_align_t); }

/* A job owning copies of the payload and request the borrowed call points at, in one
 * allocation (the name is the entry's own): the job, the request, then the payload. */
static NrpJob *job_new(const NrpCall *src) {
    size_t head = align_up(sizeof(NrpJob));
    size_t total = head;
    if (!layer_request_size(src->head.req, &total) || !add_size(&total, src->head.payload.len)) return NULL;
    NrpJob *job = malloc(total);
    if (job == NULL) return NULL;
    uint8_t *cursor = (uint8_t *)job + head;
    const struct NrRequest *req = layer_copy_request(src->head.req, &cursor);
    NrBytes payload = nrp_bytes(cursor, (size_t)src->head.payload.len);
    if (src->head.payload.len != 0) memcpy(cursor, src->head.payload.ptr, (size_t)src->head.payload.len);
    call_init(&job->call, src->route, src->head.sid, req, payload, true);
    job->next = NULL;
    job->retry = false;
    job->retry_status = NR_STATUS_OK;
    return job;
}

/* After a background handler: the call always ends, with the handler's status if it did not. */
static void settle_background(NrpCall *call, NrStatus status) {
    unsigned state = atomic_load(&call->state);
    if (state & CALL_ENDED) return;
    if (state & CALL_SENT) {
        nrp_fail(call, NR_STATUS_ERR, "the stream handler returned without ending the stream");
    } else if (status == NR_STATUS_OK) {
        nrp_fail(call, NR_STATUS_ERR, "the handler returned Ok without answering");
    } else {
        nrp_reply(call, as_rejection(status), NULL, 0);
    }
}

/* Takes the next queued job (pool.lock held) and counts it as running. */
static NrpJob *pop_job_locked(void) {
    NrpJob *job = pool.head;
    pool.head = job->next;
    if (pool.head == NULL) pool.tail = NULL;
    pool.count--;
    atomic_store_explicit(&pool.queued, pool.count, memory_order_relaxed);
    pool.running++;
    return job;
}

static void run_job(NrpJob *job) {
    if (job->retry) {
        send_retrying(job->call.head.sid, job->retry_status, job->call.head.payload.ptr, (size_t)job->call.head.payload.len);
    } else {
        settle_background(&job->call, run_handler(&job->call, call_entry(&job->call)->start));
    }
    free(job);
}

/* Runs a job (pool.lock held on entry and exit, released while it runs). */
static void run_job_locked(NrpJob *job) {
    pthread_mutex_unlock(&pool.lock);
    run_job(job);
    pthread_mutex_lock(&pool.lock);
    pool.running--;
    pool.finished++;
    if (pool.draining) pthread_cond_broadcast(&pool.quiet);
}

static uint64_t monotonic_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* While the clock is before this (ns), nobody polls: a poll that lost its CPU showed the machine busy. */
static _Atomic uint64_t poll_resume_ns;

/*
 * The idle worker watches the queue for NRP_POOL_POLL_NS (no lock, no system call) before
 * it sleeps; true when work came. On a machine whose CPUs are all taken, a polling thread
 * loses its CPU (the clock jumps between two looks) and a job queued meanwhile waits for
 * the scheduler, where a sleeping worker would have been woken at once: then polling
 * stops for POOL_POLL_BACKOFF_NS.
 */
static bool poll_for_work(void) {
    uint64_t last = monotonic_ns(), until = last + POOL_POLL_NS;
    for (unsigned i = 1;; i++) {
        if (atomic_load_explicit(&pool.queued, memory_order_acquire) != 0) return true;
        NRP_PAUSE();
        if ((i & 63) != 0) continue;
        uint64_t now = monotonic_ns();
        if (now - last > POOL_POLL_LOST_NS) {
            atomic_store_explicit(&poll_resume_ns, now + POOL_POLL_BACKOFF_NS, memory_order_relaxed);
            return false;
        }
        if (now >= until) return false;
        last = now;
    }
}

static bool polling_paused(void) {
    uint64_t resume = atomic_load_explicit(&poll_resume_ns, memory_order_relaxed);
    return resume != 0 && monotonic_ns() < resume;
}

/* Polls when no other worker polls or runs a job (pool.lock held on entry and exit); true when work came. */
static bool try_polling_locked(void) {
    if (POOL_POLL_NS == 0 || pool.running != 0 || polling_paused()) return false;
    if (atomic_fetch_add(&pool.polling, 1) >= POOL_POLLERS) {
        atomic_fetch_sub(&pool.polling, 1);
        return false;
    }
    pthread_mutex_unlock(&pool.lock);
    bool found = poll_for_work();
    atomic_fetch_sub(&pool.polling, 1); /* before the lock: a call queued after this sees no poller */
    pthread_mutex_lock(&pool.lock);
    return found;
}

/* A deadline `us` microseconds from now on the clock of the watch condition variable. */
static struct timespec deadline_in(unsigned us) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_nsec += (long)us * 1000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec += t.tv_nsec / 1000000000L;
        t.tv_nsec %= 1000000000L;
    }
    return t;
}

/*
 * The watching worker (pool.lock held): looks every POOL_WATCH_US while others are
 * busy. Returns once it should take a job (jobs wait and none finished since its last
 * look, or nobody else runs one) or stop watching (the pool stayed idle, or shutdown).
 */
static void keep_watch_locked(unsigned generation) {
    pool.watching = true;
    unsigned idle = 0;
    while (pool.generation == generation && idle < POOL_WATCH_IDLE) {
        unsigned long seen = pool.finished;
        struct timespec until = deadline_in(POOL_WATCH_US);
        pthread_cond_timedwait(&pool.watch, &pool.lock, &until);
        if (pool.head != NULL && (pool.running == 0 || pool.finished == seen)) break; /* stuck: help */
        idle = pool.head == NULL ? idle + 1 : 0;
    }
    pool.watching = false;
}

static void *worker_main(void *arg) {
    unsigned generation = (unsigned)(uintptr_t)arg;
    pthread_mutex_lock(&pool.lock);
    if (pool.wakes > 0) pool.wakes--; /* a thread started for a job counts as a wake-up until it runs */
    while (pool.generation == generation) {
        if (pool.watch_wanted && !pool.watching) {
            pool.watch_wanted = false;
            keep_watch_locked(generation);
            if (pool.head != NULL && pool.generation == generation) run_job_locked(pop_job_locked());
            continue;
        }
        if (pool.head != NULL) {
            run_job_locked(pop_job_locked());
            continue;
        }
        if (try_polling_locked() || pool.head != NULL || pool.generation != generation) continue;
        if (pool.running != 0 && !pool.watching) { /* others are busy: keep watch rather than sleep */
            keep_watch_locked(generation);
            continue;
        }
        pool.sleeping++;
        pthread_cond_wait(&pool.work, &pool.lock);
        pool.sleeping--;
        if (pool.wakes > 0) pool.wakes--;
    }
    pthread_mutex_unlock(&pool.lock);
    return NULL;
}

static unsigned pool_size(void) {
    size_t n = nrp_plugin.background_threads;
    if (n == 0) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        n = cpus > 2 ? (size_t)cpus : 2;
    }
    return n < POOL_MAX ? (unsigned)n : POOL_MAX;
}

static size_t queue_capacity(void) {
    return nrp_plugin.background_queue != 0 ? nrp_plugin.background_queue : POOL_QUEUE;
}

/* Which condition variable a push signals once it has let go of the lock (so the worker it wakes does not wait for it). */
typedef enum { SIGNAL_NONE, SIGNAL_WORK, SIGNAL_WATCH } NrpSignal;

/* Wakes a sleeping worker (*signal), or starts one when none sleeps and the pool has room (pool.lock held); false when neither. */
static bool add_worker_locked(NrpSignal *signal) {
    if (pool.sleeping > pool.wakes) {
        pool.wakes++;
        *signal = SIGNAL_WORK;
        return true;
    }
    if (pool.size == 0) pool.size = pool_size(); /* once a generation: it asks the system for the CPU count */
    if (pool.threads >= pool.size ||
        pthread_create(&pool.ids[pool.threads], NULL, worker_main, (void *)(uintptr_t)pool.generation) != 0) {
        return false;
    }
    pool.threads++;
    pool.wakes++;
    return true;
}

/*
 * After a job was queued (pool.lock held): who takes it. A polling worker, or one woken
 * or started for an earlier job, needs no signal; with no worker busy one is woken; while
 * workers are busy another is woken only for a backlog of POOL_BACKLOG jobs each, and
 * otherwise one keeps watch. False when no worker exists at all (none could start).
 */
static bool place_job_locked(NrpSignal *signal) {
    if (atomic_load_explicit(&pool.polling, memory_order_relaxed) != 0 || pool.wakes > 0) return true;
    if (pool.running == 0) {
        if (pool.watching) { /* the watching worker is the only one awake: it takes the job */
            *signal = SIGNAL_WATCH;
            return true;
        }
        return add_worker_locked(signal) || pool.threads > 0;
    }
    if (pool.count > (size_t)POOL_BACKLOG * pool.running) {
        add_worker_locked(signal); /* none to add: the busy workers take it in turn */
    } else if (!pool.watching && !pool.watch_wanted && add_worker_locked(signal)) {
        pool.watch_wanted = true;
    }
    return true;
}

/* Why a job was not queued. */
typedef enum { PUSHED, PUSH_FULL, PUSH_STOPPED } NrpPush;

/* Queues a job (a retried terminal frame whatever the queue holds); the job is the pool's once PUSHED. */
static NrpPush push_job(NrpJob *job) {
    NrpSignal signal = SIGNAL_NONE;
    pthread_mutex_lock(&pool.lock);
    NrpPush result = PUSHED;
    if (nrp_shutting_down()) {
        result = PUSH_STOPPED;
    } else if (!job->retry && pool.count >= queue_capacity()) {
        result = PUSH_FULL;
    } else {
        if (pool.tail != NULL) pool.tail->next = job;
        else pool.head = job;
        pool.tail = job;
        pool.count++;
        atomic_store_explicit(&pool.queued, pool.count, memory_order_release);
        if (!place_job_locked(&signal)) { /* no thread could start: take it back */
            pool.head = pool.tail = NULL;
            pool.count = 0;
            atomic_store(&pool.queued, 0);
            result = PUSH_STOPPED;
        }
    }
    pthread_mutex_unlock(&pool.lock);
    if (signal == SIGNAL_WORK) pthread_cond_signal(&pool.work);
    else if (signal == SIGNAL_WATCH) pthread_cond_signal(&pool.watch);
    return result;
}

static NrStatus start_background(const NrpCall *borrowed) {
    NrpJob *job = job_new(borrowed);
    if (job == NULL) return NR_STATUS_ERR;
    NrpPush pushed = push_job(job);
    if (pushed == PUSHED) return NR_STATUS_OK;
    free(job);
    return pushed == PUSH_FULL ? NRP_STATUS_BUSY : NR_STATUS_ERR;
}

/* A terminal frame refused with Backpressure inside a host call: a worker sends it again once the call returned. */
static NrpSend defer_final(uint64_t sid, NrStatus status, const void *data, size_t len) {
    size_t head = align_up(sizeof(NrpJob)), total = head;
    NrpJob *job = add_size(&total, len) ? malloc(total) : NULL;
    if (job == NULL) return NRP_BACKPRESSURE;
    uint8_t *copy = (uint8_t *)job + head;
    if (len != 0) memcpy(copy, data, len);
    memset(&job->call, 0, sizeof(job->call));
    job->call.head.sid = sid;
    job->call.head.payload = nrp_bytes(copy, len);
    job->next = NULL;
    job->retry = true;
    job->retry_status = status;
    if (push_job(job) == PUSHED) return NRP_SENT;
    free(job);
    return NRP_BACKPRESSURE;
}

static bool is_worker_locked(pthread_t thread) {
    for (unsigned i = 0; i < pool.threads; i++) {
        if (pthread_equal(pool.ids[i], thread)) return true;
    }
    return false;
}

/*
 * Shutdown: every queued job runs and every handler returns (new work is refused by
 * now), then the workers are joined. Called from a worker's handler (the host shut the
 * plugin down from inside send_result), that worker is not waited for: it helps drain
 * the queue, and is detached; its own handler is the only one still running.
 */
static void stop_pool(void) {
    pthread_t self = pthread_self();
    pthread_mutex_lock(&pool.lock);
    bool on_worker = is_worker_locked(self);
    pool.draining = true;
    while (pool.head != NULL || pool.running > (on_worker ? 1u : 0u)) {
        if (on_worker && pool.head != NULL) run_job_locked(pop_job_locked());
        else pthread_cond_wait(&pool.quiet, &pool.lock);
    }
    unsigned n = pool.threads;
    pthread_t ids[POOL_MAX];
    memcpy(ids, pool.ids, n * sizeof(pthread_t));
    pool.threads = 0;
    pool.size = 0;
    pool.wakes = 0;
    pool.watch_wanted = false;
    pool.draining = false;
    pool.generation++;
    pthread_cond_broadcast(&pool.work);
    pthread_cond_broadcast(&pool.watch);
    pthread_mutex_unlock(&pool.lock);
    for (unsigned i = 0; i < n; i++) {
        if (pthread_equal(ids[i], self)) pthread_detach(self);
        else pthread_join(ids[i], NULL);
    }
}

/* ------------------------------------------------------------------ bidirectional sessions */

struct NrpSession {
    NrpCall call;
    atomic_bool lock; /* one callback of a session at a time */
    atomic_uint refs; /* the table's reference plus one per callback in progress */
    bool listed;      /* guarded by the bucket's lock */
    NrpSession *next;
};

/* One bucket of the open sessions, with its own lock on its own cache line. */
typedef struct NrpBucket {
    _Alignas(CACHE_LINE) atomic_bool lock;
    NrpSession *head;
} NrpBucket;

static NrpBucket sessions[SESSION_BUCKETS];

static NrpBucket *bucket(uint64_t sid) {
    return &sessions[((sid * UINT64_C(0x9E3779B97F4A7C15)) >> 58) & (SESSION_BUCKETS - 1)];
}

static void session_retain(NrpSession *s) { atomic_fetch_add(&s->refs, 1); }

static void session_release(NrpSession *s) {
    if (atomic_fetch_sub(&s->refs, 1) == 1) free(s);
}

static NrpSession *find_locked(NrpBucket *b, uint64_t sid) {
    NrpSession *s = b->head;
    while (s != NULL && s->call.head.sid != sid) s = s->next;
    return s;
}

static NrpSession *session_acquire(uint64_t sid) {
    NrpBucket *b = bucket(sid);
    spin_lock(&b->lock);
    NrpSession *s = find_locked(b, sid);
    if (s != NULL) session_retain(s);
    spin_unlock(&b->lock);
    return s;
}

/* Forgets the sid; drops the table's reference (the caller holds another). */
static void session_unlist(NrpSession *s) {
    NrpBucket *b = bucket(s->call.head.sid);
    spin_lock(&b->lock);
    bool was_listed = s->listed;
    if (was_listed) {
        NrpSession **link = &b->head;
        while (*link != s) link = &(*link)->next;
        *link = s->next;
        s->listed = false;
    }
    spin_unlock(&b->lock);
    if (was_listed) session_release(s);
}

/* Lists a new session; false for a sid already open or once shutdown has begun. */
static bool session_list(NrpSession *s) {
    NrpBucket *b = bucket(s->call.head.sid);
    spin_lock(&b->lock);
    bool ok = find_locked(b, s->call.head.sid) == NULL && !nrp_shutting_down();
    if (ok) {
        s->next = b->head;
        b->head = s;
        s->listed = true;
    }
    spin_unlock(&b->lock);
    return ok;
}

/* Marks (or unmarks) a stream's callback running inside a host call on this thread: its sends skip the gate. */
static void mark_host_call(NrpCall *call, bool inside) {
    atomic_store_explicit(&call->host_thread, inside ? thread_token() : 0, memory_order_relaxed);
}

static NrStatus open_session(const NrpCall *borrowed) {
    NrpSession *s = malloc(sizeof(*s));
    if (s == NULL) return NR_STATUS_ERR;
    call_init(&s->call, borrowed->route, borrowed->head.sid, borrowed->head.req, borrowed->head.payload, true);
    s->call.session = s;
    atomic_init(&s->lock, true); /* held by this callback from the start */
    atomic_init(&s->refs, 2u);   /* the table's and this callback's */
    s->listed = false;
    s->next = NULL;
    if (!session_list(s)) {
        free(s);
        return NR_STATUS_INVALID;
    }
    mark_host_call(&s->call, true);
    NrStatus status = run_handler(&s->call, call_entry(&s->call)->start);
    mark_host_call(&s->call, false);
    s->call.head.req = NULL; /* borrowed for handle only */
    s->call.head.payload = nrp_bytes(NULL, 0);
    unsigned state = atomic_load(&s->call.state);
    NrStatus result = NR_STATUS_OK;
    if (!(state & (CALL_ENDED | CALL_SENT)) && status != NR_STATUS_OK) {
        atomic_fetch_or(&s->call.state, CALL_ENDED); /* rejected: nothing may follow */
        session_unlist(s);
        result = as_rejection(status);
    }
    spin_unlock(&s->lock);
    session_release(s);
    return result;
}

static NrStatus session_data(NrpSession *s, NrBytes data) {
    if (nrp_done(&s->call)) return NR_STATUS_INVALID;
    const NrpEntry *entry = call_entry(&s->call);
    if (entry->on_data == NULL) return NR_STATUS_UNSUPPORTED;
    NrStatus status = run_data_handler(&s->call, entry->on_data, nrp_bytes_view(data));
    return status == NR_STATUS_OK || is_error(status) ? status : NR_STATUS_ERR;
}

static NrStatus session_close(NrpSession *s) {
    if (nrp_done(&s->call)) return NR_STATUS_INVALID;
    const NrpEntry *entry = call_entry(&s->call);
    NrStatus status = entry->on_close != NULL ? run_handler(&s->call, entry->on_close) : NR_STATUS_OK;
    if (status == NR_STATUS_OK || status == NR_STATUS_STREAM_END) nrp_end(&s->call);
    else nrp_fail(&s->call, status, "the stream was closed with an error");
    return NR_STATUS_OK;
}

/* Runs one host callback (stream_data with `data`, or stream_close) on the session of `sid`. */
static NrStatus session_callback(uint64_t sid, const NrBytes *data) {
    NrpSession *s = session_acquire(sid);
    if (s == NULL) return NR_STATUS_INVALID;
    spin_lock(&s->lock);
    mark_host_call(&s->call, true);
    NrStatus status = data != NULL ? session_data(s, *data) : session_close(s);
    mark_host_call(&s->call, false);
    spin_unlock(&s->lock);
    session_release(s);
    return status;
}

/* The first session still listed, with a reference taken; NULL when none is left. */
static NrpSession *any_session(void) {
    for (unsigned i = 0; i < SESSION_BUCKETS; i++) {
        NrpBucket *b = &sessions[i];
        spin_lock(&b->lock);
        NrpSession *s = b->head;
        if (s != NULL) session_retain(s);
        spin_unlock(&b->lock);
        if (s != NULL) return s;
    }
    return NULL;
}

/* Shutdown: every stream still open ends with Err (new ones are refused by now). */
static void end_all_sessions(void) {
    NrpSession *s;
    while ((s = any_session()) != NULL) {
        spin_lock(&s->lock);
        nrp_fail(&s->call, NR_STATUS_ERR, "the plugin shut down");
        session_unlist(s); /* even if the stream had ended some other way meanwhile */
        spin_unlock(&s->lock);
        session_release(s);
    }
}

/* ------------------------------------------------------------------ the embedded manifest */

/* A growing text buffer; `ok` turns false (and stays) when memory runs out. */
typedef struct NrpText {
    char *data;
    size_t len, cap;
    bool ok;
} NrpText;

static void text_add(NrpText *t, const char *s, size_t n) {
    if (!t->ok) return;
    if (t->len + n + 1 > t->cap) {
        size_t cap = t->cap != 0 ? t->cap : 1024;
        while (cap < t->len + n + 1) cap *= 2;
        char *grown = realloc(t->data, cap);
        if (grown == NULL) {
            t->ok = false;
            return;
        }
        t->data = grown;
        t->cap = cap;
    }
    memcpy(t->data + t->len, s, n);
    t->len += n;
    t->data[t->len] = '\0';
}

static void text_put(NrpText *t, const char *s) { text_add(t, s, strlen(s)); }

/* `s` as a TOML basic string: quotes, backslashes and control characters escaped. */
static void text_quoted(NrpText *t, const char *s) {
    text_put(t, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        char esc[8];
        if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char)*p;
            text_add(t, esc, 2);
        } else if (*p < 0x20 || *p == 0x7f) {
            snprintf(esc, sizeof(esc), "\\u%04x", *p);
            text_put(t, esc);
        } else {
            text_add(t, (const char *)p, 1);
        }
    }
    text_put(t, "\"");
}

/* One [[entries]] or [[panic_probes]] table of the manifest. */
static void manifest_entry(NrpText *t, const NrpEntry *e) {
    text_put(t, e->probe ? "\n[[panic_probes]]\nname = " : "\n[[entries]]\nname = ");
    text_quoted(t, e->name);
    text_put(t, "\nmode = ");
    text_quoted(t, e->mode != NULL ? e->mode : layer_mode(e->kind));
    text_put(t, "\n");
    if (e->manifest != NULL && e->manifest[0] != '\0') {
        text_put(t, e->manifest);
        if (e->manifest[strlen(e->manifest) - 1] != '\n') text_put(t, "\n");
    }
}

static char *manifest_text;
static pthread_once_t manifest_once = PTHREAD_ONCE_INIT;

/* The manifest, from the entry table: what the route table routes, in the table's order. */
static void build_manifest(void) {
    NrpText t = {NULL, 0, 0, true};
    text_put(&t, "# The manifest of this plugin, built by its SDK from the entry table.\n[plugin]\nname = ");
    text_quoted(&t, nrp_plugin.name != NULL ? nrp_plugin.name : "");
    text_put(&t, "\nunknown_entry = \"unsupported\"\n");
    for (size_t i = 0; i < nrp_plugin.entry_count; i++) {
        const NrpEntry *e = &nrp_plugin.entries[i];
        if (e->name != NULL && e->start != NULL) manifest_entry(&t, e);
    }
    if (t.ok) manifest_text = t.data;
    else free(t.data);
}

const uint8_t *nrp_manifest(void) {
    pthread_once(&manifest_once, build_manifest);
    return (const uint8_t *)manifest_text;
}

/* ------------------------------------------------------------------ init and shutdown */

/* init once the layer has stored the host's callbacks: calls go through, then the plugin's own hook. */
static NrStatus core_init(void) {
    if (routes == NULL) return NR_STATUS_ERR; /* out of memory when the plugin info was built */
    arm_probes(layer_probes_live());
    atomic_store(&phase, PHASE_LIVE);
    if (nrp_plugin.on_init == NULL) return NR_STATUS_OK;
    NrStatus status = run_hook(nrp_plugin.on_init, NULL);
    if (status != NR_STATUS_OK) close_host_gate();
    return status == NR_STATUS_OK ? NR_STATUS_OK : as_rejection(status);
}

/* shutdown: no new work, background work joined, open streams ended, the plugin's hook, then the gate closes. */
static void core_shutdown(void) {
    atomic_fetch_or(&phase, PHASE_STOPPING);
    stop_pool();
    end_all_sessions();
    if (nrp_plugin.on_shutdown != NULL && (atomic_load(&phase) & PHASE_LIVE)) run_hook(NULL, nrp_plugin.on_shutdown);
    close_host_gate();
}

/* What get_plugin does before it returns the info: the route table, once. */
static pthread_once_t routes_once = PTHREAD_ONCE_INIT;

static void prepare_routes(void) { pthread_once(&routes_once, build_routes); }

/* Whether the environment asks for live probes (read at init). */
NRP_LAYER_ONLY static bool probes_requested(void) {
    const char *value = getenv("NYLON_RING_ENABLE_PROBES");
    return value != NULL && strcmp(value, "1") == 0;
}

/* ------------------------------------------------------------------ the generation layer */

#if NRP_ABI == 1
#include "nr_abi1.c"
#else
#include "nr_abi2.c"
#endif

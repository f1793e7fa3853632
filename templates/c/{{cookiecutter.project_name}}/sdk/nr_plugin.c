/*
 * nr_plugin.c: the ABI side of nr_plugin.h (see the header for what it guarantees).
 *
 * Layout of this file: views, the host gate (every call into the host from a thread
 * that may race shutdown passes it, so shutdown can wait for the last one), per-call
 * send guards, the panic boundary, routing and synchronous dispatch, the background
 * pool, bidirectional sessions, state, and finally the vtable and the exported symbols.
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
#include <stdlib.h>
#include <string.h>
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

#if defined(__GNUC__) || defined(__clang__)
#define NRP_LIKELY(x) __builtin_expect(!!(x), 1)
#define NRP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define NRP_NOINLINE __attribute__((noinline))
#define NRP_INLINE static inline __attribute__((always_inline))
#else
#define NRP_LIKELY(x) (x)
#define NRP_UNLIKELY(x) (x)
#define NRP_NOINLINE
#define NRP_INLINE static inline
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

/* One slot of the routing table (see routing below). */
enum { ROUTE_NOWHERE, ROUTE_SYNC, ROUTE_SHARED };

typedef struct NrpRoute {
    uint64_t head, tail;
    uint32_t len;
    /* ROUTE_SYNC: runs on the host's thread; ROUTE_SHARED: bidi or background; ROUTE_NOWHERE: no start */
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

static bool request_ok(const NrRequest *req) {
    if (req == NULL || !str_ok(req->path) || !str_ok(req->method) || !str_ok(req->query)) return false;
    if (req->headers == NULL) return req->headers_len == 0;
    for (uint32_t i = 0; i < req->headers_len; i++) {
        if (!str_ok(req->headers[i].key) || !str_ok(req->headers[i].value)) return false;
    }
    return true;
}

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

/* Read on every call, written only by init, set_host_ext and shutdown. */
static void *host_ctx;
static NrSendResultFn host_send_fn;
static _Atomic(const NrHostExt *) host_ext;
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

static NrpSend host_send(const NrpCall *call, NrStatus status, const void *data, size_t len) {
    bool gated = needs_gate(call);
    if (!host_begin(call, gated)) return NRP_SHUT_DOWN;
    host_send_fn(host_ctx, call->head.sid, status, nrp_bytes(data, len));
    host_end(call, gated);
    return NRP_SENT;
}

/* Shutdown's last step: no call enters the host after this returns. */
static void close_host_gate(void) {
    atomic_fetch_and(&phase, ~PHASE_LIVE);
    for (unsigned i = 0; i < GATE_STRIPES; i++) {
        while (atomic_load(&host_callers[i].callers) != 0) sched_yield();
    }
    atomic_store(&host_ext, NULL);
}

bool nrp_shutting_down(void) { return atomic_load(&phase) & PHASE_STOPPING; }

/* ------------------------------------------------------------------ sending */

static void session_retain(NrpSession *s);
static void session_release(NrpSession *s);
static void session_unlist(NrpSession *s);

/*
 * The final frame of a shared call, once the frames still inside the host are done. A
 * stream's sid is forgotten before its terminal frame goes out (the host may reuse it
 * at once); the session is kept alive until the send returns.
 */
static NRP_NOINLINE NrpSend send_final_shared(NrpCall *call, NrStatus status, const void *data, size_t len) {
    unsigned prev = atomic_fetch_or(&call->state, CALL_ENDED | CALL_SENT);
    if (prev & CALL_ENDED) return NRP_ENDED;
    while (atomic_load(&call->state) >= CALL_SENDER) sched_yield();
    NrpSession *session = call->session;
    if (session == NULL) return host_send(call, status, data, len);
    session_retain(session);
    session_unlist(session);
    NrpSend result = host_send(call, status, data, len);
    session_release(session);
    return result;
}

/* A send for a call that is not shared: it runs inside handle, so a check of the phase is all the gate it needs. */
NRP_INLINE NrpSend send_unshared(const NrpCall *call, NrStatus status, const void *data, size_t len) {
    if (!(atomic_load_explicit(&phase, memory_order_acquire) & PHASE_LIVE)) return NRP_SHUT_DOWN;
    NrBytes bytes = {data != NULL ? (const uint8_t *)data : empty_bytes, len};
    host_send_fn(host_ctx, call->head.sid, status, bytes);
    return NRP_SENT;
}

NRP_INLINE NrpSend send_final(NrpCall *call, NrStatus status, const void *data, size_t len) {
    if (NRP_UNLIKELY(call->shared)) return send_final_shared(call, status, data, len);
    unsigned state = atomic_load_explicit(&call->state, memory_order_relaxed);
    if (state & CALL_ENDED) return NRP_ENDED;
    atomic_store_explicit(&call->state, state | CALL_ENDED | CALL_SENT, memory_order_relaxed);
    return send_unshared(call, status, data, len);
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
    return status == NR_STATUS_ERR || status == NR_STATUS_INVALID || status == NR_STATUS_UNSUPPORTED;
}

NrpSend nrp_reply(NrpCall *call, NrStatus status, const void *data, size_t len) {
    if (call == NULL || (data == NULL && len != 0)) return NRP_BAD_ARGUMENT;
    if (call->kind != NRP_UNARY && !is_error(status)) status = NR_STATUS_STREAM_END;
    return send_final(call, status, data, len);
}

NrpSend nrp_reply_str(NrpCall *call, NrStatus status, const char *text) {
    return nrp_reply(call, status, text, text != NULL ? strlen(text) : 0);
}

NrpSend nrp_frame(NrpCall *call, const void *data, size_t len) {
    if (call == NULL || (data == NULL && len != 0)) return NRP_BAD_ARGUMENT;
    if (call->kind == NRP_UNARY) return NRP_WRONG_KIND;
    return send_frame(call, data, len);
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

NRP_INLINE void call_init(NrpCall *call, const NrpRoute *route, uint64_t sid, const NrRequest *req, NrBytes payload,
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
size_t nrp_header_count(const NrpCall *call) { return nrp_has_request(call) ? call->head.req->headers_len : 0; }
void *nrp_user(const NrpCall *call) { return call != NULL ? call->user : NULL; }

void nrp_set_user(NrpCall *call, void *user) {
    if (call != NULL) call->user = user;
}

NrHeader nrp_header_at(const NrpCall *call, size_t index) {
    NrHeader h = {nrp_str(NULL), nrp_str(NULL)};
    if (index < nrp_header_count(call)) {
        h.key = nrp_str_view(call->head.req->headers[index].key);
        h.value = nrp_str_view(call->head.req->headers[index].value);
    }
    return h;
}

static bool ascii_equal_nocase(NrStr s, const char *text) {
    size_t n = strlen(text);
    if (s.len != n) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned a = s.ptr[i], b = (unsigned char)text[i];
        if (a - 'A' < 26u) a += 32;
        if (b - 'A' < 26u) b += 32;
        if (a != b) return false;
    }
    return true;
}

bool nrp_header(const NrpCall *call, const char *name, NrStr *value) {
    if (name == NULL) return false;
    for (size_t i = 0; i < nrp_header_count(call); i++) {
        NrHeader h = nrp_header_at(call, i);
        if (ascii_equal_nocase(h.key, name)) {
            if (value != NULL) *value = h.value;
            return true;
        }
    }
    return false;
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
 * Err. Never inlined: the jump buffer needs a frame of its own that outlives the handler.
 */
static NRP_NOINLINE NrStatus run_handler(NrpCall *call, NrpHandler handler) {
    NrpFrame frame;
    volatile NrStatus status = NR_STATUS_ERR;
    frame_push(&frame, call);
    if (NRP_SETJMP(frame.env) == 0) {
        status = handler(call);
    } else {
        nrp_fail(frame.call, NR_STATUS_ERR, frame.message);
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
        nrp_fail(frame.call, NR_STATUS_ERR, frame.message);
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

void nrp_panic(NrpCall *call, const char *message) {
    NrpFrame *frame = NULL;
    if (call != NULL) {
        frame = call->shared ? atomic_load_explicit(&call->frame, memory_order_relaxed)
                             : &((NrpSyncCall *)(void *)call)->frame;
    }
    const char *text = message != NULL && message[0] != '\0' ? message : "panic";
    if (frame == NULL || !NRP_SAME_THREAD(frame->thread, NRP_THIS_THREAD())) frame = hook_frame;
    if (frame == NULL) {
        nrp_fail(call, NR_STATUS_ERR, text);
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

/* After a nrp_panic in a synchronous handler: the call fails with Err and the panic's message. */
static NRP_NOINLINE NrStatus settle_panic(NrpSyncCall *sync) {
    nrp_fail(&sync->call, NR_STATUS_ERR, sync->frame.message);
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
        uint32_t mode = e->start == NULL                                  ? ROUTE_NOWHERE
                        : e->run == NRP_BACKGROUND || e->kind == NRP_BIDI ? ROUTE_SHARED
                                                                          : ROUTE_SYNC;
        table[slot] = (NrpRoute){head, tail, (uint32_t)len, mode, e};
    }
}

/*
 * A synchronous call from start to end: the call on this stack, the handler behind
 * its panic boundary, then what handle returns. Kept apart from the routing: a
 * function with a jump buffer keeps its variables in memory, so it does no more than this.
 */
static NRP_NOINLINE NrStatus run_sync(const NrpRoute *route, uint64_t sid, const NrRequest *req, NrBytes payload) {
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
static NRP_NOINLINE NrStatus run_shared(const NrpRoute *r, uint64_t sid, const NrRequest *req, NrBytes payload) {
    NrpCall call;
    call_init(&call, r, sid, req, payload, false);
    return call.kind == NRP_BIDI ? open_session(&call) : start_background(&call);
}

/* Runs the call `r` routes to; every branch is a tail call, so routing keeps no frame of its own. */
NRP_INLINE NrStatus run_route(const NrpRoute *r, NrStr entry, uint64_t sid, const NrRequest *req, NrBytes payload) {
    if (NRP_LIKELY(r != NULL && r->mode == ROUTE_SYNC)) return run_sync(r, sid, req, payload);
    if (r != NULL && r->mode == ROUTE_SHARED) return run_shared(r, sid, req, payload);
    return unknown_entry(entry);
}

/* The general case: a name longer than 16 bytes, or one whose first probe found another name. */
static NRP_NOINLINE NrStatus dispatch_probing(NrStr entry, uint64_t sid, const NrRequest *req, NrBytes payload) {
    return run_route(find_route(entry.ptr, entry.len), entry, sid, req, payload);
}

/*
 * handle and handle_raw once their own checks are done. The common case, a name of at
 * most 16 bytes (which its key holds whole) found by the first probe, takes no loop
 * and no call, so it needs no frame before the tail call that runs the entry.
 */
NRP_INLINE NrStatus dispatch(NrStr entry, uint64_t sid, const NrRequest *req, NrBytes payload) {
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

/* ------------------------------------------------------------------ the background pool */

/*
 * Background handlers run on a pool of worker threads, started on first use (at most
 * NrpPlugin.background_threads, by default one per CPU and at least 2) and fed from a
 * queue. Shutdown refuses new work, waits until the queue is empty and every handler
 * has returned, then joins the workers; the next init starts a new pool on demand.
 */

typedef struct NrpJob {
    NrpCall call;
    NrRequest req;
    struct NrpJob *next;
} NrpJob;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t work;  /* a job was queued, or shutdown ended the workers' generation */
    pthread_cond_t quiet; /* a job finished (shutdown waits for the last one) */
    NrpJob *head, *tail;
    unsigned generation;  /* bumped by shutdown: workers of older generations exit */
    unsigned threads;     /* workers of this generation (their ids are in ids[]) */
    unsigned size;        /* how many workers this generation may have (0: not decided yet) */
    unsigned sleeping;    /* workers waiting for a job */
    unsigned running;     /* handlers in progress */
    pthread_t ids[POOL_MAX];
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .work = PTHREAD_COND_INITIALIZER, .quiet = PTHREAD_COND_INITIALIZER};

static bool add_size(size_t *total, uint64_t n) {
    if (n > SIZE_MAX - *total) return false;
    *total += (size_t)n;
    return true;
}

static NrStr copy_str(uint8_t **cursor, NrStr s) {
    NrStr out = nrp_str_n(*cursor, s.len);
    if (s.len != 0) memcpy(*cursor, s.ptr, s.len);
    *cursor += s.len;
    return out;
}

/* Bytes the request's strings take (they were validated by handle). */
static bool request_size(const NrRequest *req, size_t *total) {
    if (req == NULL) return true;
    bool ok = add_size(total, req->path.len) && add_size(total, req->method.len) && add_size(total, req->query.len);
    for (uint32_t i = 0; ok && i < req->headers_len; i++) {
        ok = add_size(total, req->headers[i].key.len) && add_size(total, req->headers[i].value.len) &&
             add_size(total, sizeof(NrHeader));
    }
    return ok;
}

static void copy_request(NrRequest *out, NrHeader *headers, uint8_t **cursor, const NrRequest *req) {
    memset(out, 0, sizeof(*out));
    out->path = copy_str(cursor, nrp_str_view(req->path));
    out->method = copy_str(cursor, nrp_str_view(req->method));
    out->query = copy_str(cursor, nrp_str_view(req->query));
    for (uint32_t i = 0; i < req->headers_len; i++) {
        headers[i].key = copy_str(cursor, nrp_str_view(req->headers[i].key));
        headers[i].value = copy_str(cursor, nrp_str_view(req->headers[i].value));
    }
    out->headers = req->headers_len != 0 ? headers : NULL;
    out->headers_len = req->headers_len;
}

/* A job owning copies of the payload and request the borrowed call points at, in one
 * allocation (the name is the entry's own). */
static NrpJob *job_new(const NrpCall *src) {
    size_t head = (sizeof(NrpJob) + _Alignof(NrHeader) - 1) / _Alignof(NrHeader) * _Alignof(NrHeader);
    size_t total = head;
    if (!add_size(&total, src->head.payload.len) || !request_size(src->head.req, &total)) {
        return NULL;
    }
    NrpJob *job = malloc(total);
    if (job == NULL) return NULL;
    NrHeader *headers = (NrHeader *)(void *)((uint8_t *)job + head);
    uint8_t *cursor = (uint8_t *)(headers + (src->head.req != NULL ? src->head.req->headers_len : 0));
    NrBytes payload = nrp_bytes(cursor, (size_t)src->head.payload.len);
    if (src->head.payload.len != 0) memcpy(cursor, src->head.payload.ptr, (size_t)src->head.payload.len);
    cursor += src->head.payload.len;
    if (src->head.req != NULL) copy_request(&job->req, headers, &cursor, src->head.req);
    call_init(&job->call, src->route, src->head.sid, src->head.req != NULL ? &job->req : NULL, payload, true);
    job->next = NULL;
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
    pool.running++;
    return job;
}

/* Runs a job (pool.lock held on entry and exit, released while the handler runs). */
static void run_job_locked(NrpJob *job) {
    pthread_mutex_unlock(&pool.lock);
    settle_background(&job->call, run_handler(&job->call, call_entry(&job->call)->start));
    free(job);
    pthread_mutex_lock(&pool.lock);
    pool.running--;
    pthread_cond_broadcast(&pool.quiet);
}

static void *worker_main(void *arg) {
    unsigned generation = (unsigned)(uintptr_t)arg;
    pthread_mutex_lock(&pool.lock);
    while (pool.generation == generation) {
        if (pool.head == NULL) {
            pool.sleeping++;
            pthread_cond_wait(&pool.work, &pool.lock);
            pool.sleeping--;
            continue;
        }
        run_job_locked(pop_job_locked());
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

/* Starts one more worker when none sleeps and the pool has room; false when there is no worker at all. */
static bool grow_pool_locked(void) {
    if (pool.size == 0) pool.size = pool_size(); /* once a generation: it asks the system for the CPU count */
    if (pool.sleeping == 0 && pool.threads < pool.size &&
        pthread_create(&pool.ids[pool.threads], NULL, worker_main, (void *)(uintptr_t)pool.generation) == 0) {
        pool.threads++;
    }
    return pool.threads > 0;
}

static NrStatus start_background(const NrpCall *borrowed) {
    NrpJob *job = job_new(borrowed);
    if (job == NULL) return NR_STATUS_ERR;
    pthread_mutex_lock(&pool.lock);
    bool queued = !nrp_shutting_down();
    if (queued) {
        if (pool.tail != NULL) pool.tail->next = job;
        else pool.head = job;
        pool.tail = job;
        if (!grow_pool_locked()) { /* no thread could start: take it back */
            pool.head = pool.tail = NULL;
            queued = false;
        }
    }
    bool wake = queued && pool.sleeping > 0;
    pthread_mutex_unlock(&pool.lock);
    if (wake) pthread_cond_signal(&pool.work); /* after the unlock: the worker it wakes does not wait for the lock */
    if (!queued) free(job);
    return queued ? NR_STATUS_OK : NR_STATUS_ERR;
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
    while (pool.head != NULL || pool.running > (on_worker ? 1u : 0u)) {
        if (on_worker && pool.head != NULL) run_job_locked(pop_job_locked());
        else pthread_cond_wait(&pool.quiet, &pool.lock);
    }
    unsigned n = pool.threads;
    pthread_t ids[POOL_MAX];
    memcpy(ids, pool.ids, n * sizeof(pthread_t));
    pool.threads = 0;
    pool.size = 0;
    pool.generation++;
    pthread_cond_broadcast(&pool.work);
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

/* ------------------------------------------------------------------ state */

static NrStr state_key(const char *key, bool *ok) {
    size_t n = key != NULL ? strlen(key) : 0;
    *ok = key != NULL && n <= UINT32_MAX;
    return nrp_str_n(key, n);
}

bool nrp_state_available(void) {
    const NrHostExt *ext = atomic_load(&host_ext);
    return ext != NULL && ext->set_state != NULL && ext->get_state != NULL;
}

bool nrp_state_set(const NrpCall *call, const char *key, const void *data, size_t len, NrBytes *stored) {
    bool ok;
    NrStr k = state_key(key, &ok);
    const NrHostExt *ext = atomic_load(&host_ext);
    if (!ok || call == NULL || (data == NULL && len != 0) || ext == NULL || ext->set_state == NULL) return false;
    bool gated = needs_gate(call);
    if (!host_begin(call, gated)) return false;
    NrBytes copy = ext->set_state(host_ctx, call->head.sid, k, nrp_bytes(data, len));
    host_end(call, gated);
    if (stored != NULL) *stored = nrp_bytes_view(copy);
    return true;
}

bool nrp_state_get(const NrpCall *call, const char *key, NrBytes *value) {
    bool ok;
    NrStr k = state_key(key, &ok);
    const NrHostExt *ext = atomic_load(&host_ext);
    if (!ok || call == NULL || ext == NULL || ext->get_state == NULL) return false;
    bool gated = needs_gate(call);
    if (!host_begin(call, gated)) return false;
    NrBytes got = ext->get_state(host_ctx, call->head.sid, k);
    host_end(call, gated);
    if (value != NULL) *value = nrp_bytes_view(got);
    return true;
}

/* ------------------------------------------------------------------ the vtable */

static NrStatus plugin_init(void *plugin_ctx, void *ctx, const NrHostVTable *host_vtable) {
    (void)plugin_ctx;
    if (host_vtable == NULL || host_vtable->send_result == NULL) return NR_STATUS_INVALID;
    if (routes == NULL) return NR_STATUS_ERR; /* out of memory when the plugin info was built */
    host_ctx = ctx;
    host_send_fn = host_vtable->send_result;
    atomic_store(&phase, PHASE_LIVE);
    if (nrp_plugin.on_init == NULL) return NR_STATUS_OK;
    NrStatus status = run_hook(nrp_plugin.on_init, NULL);
    if (status != NR_STATUS_OK) close_host_gate();
    return status == NR_STATUS_OK ? NR_STATUS_OK : as_rejection(status);
}

static NrStatus plugin_handle(void *plugin_ctx, NrStr entry, uint64_t sid, const NrRequest *req, NrBytes payload) {
    (void)plugin_ctx;
    if (!request_ok(req)) return NR_STATUS_INVALID;
    return dispatch(entry, sid, req, payload);
}

static NrStatus plugin_handle_raw(void *plugin_ctx, NrStr entry, uint64_t sid, NrBytes payload) {
    (void)plugin_ctx;
    return dispatch(entry, sid, NULL, payload);
}

static void plugin_shutdown(void *plugin_ctx) {
    (void)plugin_ctx;
    atomic_fetch_or(&phase, PHASE_STOPPING);
    stop_pool();
    end_all_sessions();
    if (nrp_plugin.on_shutdown != NULL && (atomic_load(&phase) & PHASE_LIVE)) run_hook(NULL, nrp_plugin.on_shutdown);
    close_host_gate();
}

static NrStatus plugin_stream_data(void *plugin_ctx, uint64_t sid, NrBytes data) {
    (void)plugin_ctx;
    if (!bytes_ok(data)) return NR_STATUS_INVALID;
    return session_callback(sid, &data);
}

static NrStatus plugin_stream_close(void *plugin_ctx, uint64_t sid) {
    (void)plugin_ctx;
    return session_callback(sid, NULL);
}

static const NrPluginVTable plugin_vtable = {
    plugin_init, plugin_handle, plugin_handle_raw, plugin_shutdown, plugin_stream_data, plugin_stream_close,
};

static NrPluginInfo plugin_info;
static pthread_once_t plugin_info_once = PTHREAD_ONCE_INIT;

static void fill_plugin_info(void) {
    plugin_info.abi_version = NR_ABI_VERSION;
    plugin_info.struct_size = (uint32_t)sizeof(NrPluginInfo);
    plugin_info.name = nrp_str(nrp_plugin.name);
    plugin_info.version = nrp_str(nrp_plugin.version);
    plugin_info.plugin_ctx = NULL;
    plugin_info.vtable = &plugin_vtable;
    build_routes();
}

NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin_v1(void) {
    pthread_once(&plugin_info_once, fill_plugin_info);
    return &plugin_info;
}

NR_EXPORT void nylon_ring_set_host_ext_v1(const NrHostExt *ext) { atomic_store(&host_ext, ext); }

NR_DEFINE_LAYOUT_PROBE()

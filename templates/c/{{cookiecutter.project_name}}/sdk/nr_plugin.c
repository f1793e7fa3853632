/*
 * nr_plugin.c: the ABI side of nr_plugin.h (see the header for what it guarantees).
 *
 * Layout of this file: views, the host gate (every call into the host passes it,
 * so shutdown can wait for the last one), per-call send guards, the panic
 * boundary, synchronous dispatch, background jobs, bidirectional sessions, state,
 * and finally the vtable and the exported symbols.
 */
#define _POSIX_C_SOURCE 200809L

#include "nr_plugin.h"

#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Call state: bit 0 the final frame was claimed, bit 1 something was sent, above
 * that the number of frame senders still inside the host. */
#define CALL_ENDED 1u
#define CALL_SENT 2u
#define CALL_SENDER 4u
#define SESSION_BUCKETS 64u
#define PANIC_MESSAGE_MAX 160

typedef struct NrpSession NrpSession;
typedef struct NrpFrame NrpFrame;

struct NrpCall {
    uint64_t sid;
    const NrpEntry *entry;
    NrStr entry_name;
    const NrRequest *req;
    NrBytes payload;
    atomic_uint state;
    /* Reached from other threads than the host's (background, bidirectional): sends
     * then take the atomic paths and the host gate. A synchronous call belongs to the
     * host's thread for the duration of handle, which shutdown cannot overlap. */
    bool shared;
    _Atomic(NrpFrame *) frame; /* the panic boundary of the handler running for this call */
    void *user;
    NrpSession *session;
};

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

/* ------------------------------------------------------------------ the host gate */

static void *host_ctx;
static NrSendResultFn host_send_fn;
static _Atomic(const NrHostExt *) host_ext;
static atomic_bool live;            /* init done, shutdown not finished: the host may be called */
static atomic_bool stopping;        /* shutdown has begun: no new work */
static atomic_size_t host_callers;  /* calls into the host in progress */

/* Enters a call into the host; false once shutdown has closed the gate. */
static bool host_enter(void) {
    atomic_fetch_add(&host_callers, 1);
    if (atomic_load(&live)) return true;
    atomic_fetch_sub(&host_callers, 1);
    return false;
}

static void host_leave(void) { atomic_fetch_sub(&host_callers, 1); }

/* A call into the host on behalf of `call`: through the gate for shared calls; a
 * synchronous one runs inside handle, which shutdown cannot overlap, so a check suffices. */
static bool host_begin(const NrpCall *call) {
    return call->shared ? host_enter() : atomic_load_explicit(&live, memory_order_acquire);
}

static void host_end(const NrpCall *call) {
    if (call->shared) host_leave();
}

static NrpSend host_send(const NrpCall *call, NrStatus status, const void *data, size_t len) {
    if (!host_begin(call)) return NRP_SHUT_DOWN;
    host_send_fn(host_ctx, call->sid, status, nrp_bytes(data, len));
    host_end(call);
    return NRP_SENT;
}

/* Shutdown's last step: no call enters the host after this returns. */
static void close_host_gate(void) {
    atomic_store(&live, false);
    while (atomic_load(&host_callers) != 0) sched_yield();
    atomic_store(&host_ext, NULL);
}

bool nrp_shutting_down(void) { return atomic_load(&stopping); }

/* ------------------------------------------------------------------ sending */

static void session_unlist(NrpSession *s);

/* Claims the one final frame of a call; on a shared call, frames still inside the host finish first. */
static bool claim_final(NrpCall *call) {
    if (!call->shared) {
        unsigned state = atomic_load_explicit(&call->state, memory_order_relaxed);
        atomic_store_explicit(&call->state, state | CALL_ENDED | CALL_SENT, memory_order_relaxed);
        return !(state & CALL_ENDED);
    }
    unsigned prev = atomic_fetch_or(&call->state, CALL_ENDED | CALL_SENT);
    if (prev & CALL_ENDED) return false;
    while (atomic_load(&call->state) >= CALL_SENDER) sched_yield();
    return true;
}

static NrpSend send_final(NrpCall *call, NrStatus status, const void *data, size_t len) {
    if (!claim_final(call)) return NRP_ENDED;
    if (call->session != NULL) session_unlist(call->session); /* the sid is unknown from now on */
    return host_send(call, status, data, len);
}

static NrpSend send_frame(NrpCall *call, const void *data, size_t len) {
    if (!call->shared) {
        unsigned state = atomic_load_explicit(&call->state, memory_order_relaxed);
        if (state & CALL_ENDED) return NRP_ENDED;
        atomic_store_explicit(&call->state, state | CALL_SENT, memory_order_relaxed);
        return host_send(call, NR_STATUS_OK, data, len);
    }
    unsigned prev = atomic_fetch_add(&call->state, CALL_SENDER);
    NrpSend result = NRP_ENDED;
    if (!(prev & CALL_ENDED)) {
        result = host_send(call, NR_STATUS_OK, data, len);
        atomic_fetch_or(&call->state, CALL_SENT);
    }
    atomic_fetch_sub(&call->state, CALL_SENDER);
    return result;
}

static bool is_error(NrStatus status) {
    return status == NR_STATUS_ERR || status == NR_STATUS_INVALID || status == NR_STATUS_UNSUPPORTED;
}

NrpSend nrp_reply(NrpCall *call, NrStatus status, const void *data, size_t len) {
    if (call == NULL || (data == NULL && len != 0)) return NRP_BAD_ARGUMENT;
    if (call->entry->kind != NRP_UNARY && !is_error(status)) status = NR_STATUS_STREAM_END;
    return send_final(call, status, data, len);
}

NrpSend nrp_reply_str(NrpCall *call, NrStatus status, const char *text) {
    return nrp_reply(call, status, text, text != NULL ? strlen(text) : 0);
}

NrpSend nrp_frame(NrpCall *call, const void *data, size_t len) {
    if (call == NULL || (data == NULL && len != 0)) return NRP_BAD_ARGUMENT;
    if (call->entry->kind == NRP_UNARY) return NRP_WRONG_KIND;
    return send_frame(call, data, len);
}

NrpSend nrp_end(NrpCall *call) {
    if (call == NULL) return NRP_BAD_ARGUMENT;
    if (call->entry->kind == NRP_UNARY) return NRP_WRONG_KIND;
    return send_final(call, NR_STATUS_STREAM_END, NULL, 0);
}

NrpSend nrp_fail(NrpCall *call, NrStatus status, const char *message) {
    if (call == NULL) return NRP_BAD_ARGUMENT;
    return send_final(call, is_error(status) ? status : NR_STATUS_ERR, message, message != NULL ? strlen(message) : 0);
}

bool nrp_done(const NrpCall *call) { return call == NULL || (atomic_load(&((NrpCall *)call)->state) & CALL_ENDED); }

/* ------------------------------------------------------------------ the call */

static void call_init(NrpCall *call, const NrpEntry *entry, NrStr name, uint64_t sid, const NrRequest *req,
                      NrBytes payload, bool shared) {
    call->shared = shared;
    atomic_init(&call->frame, NULL);
    call->sid = sid;
    call->entry = entry;
    call->entry_name = nrp_str_view(name);
    call->req = req;
    call->payload = nrp_bytes_view(payload);
    atomic_init(&call->state, 0u);
    call->user = NULL;
    call->session = NULL;
}

uint64_t nrp_sid(const NrpCall *call) { return call != NULL ? call->sid : 0; }
NrStr nrp_entry_name(const NrpCall *call) { return call != NULL ? call->entry_name : nrp_str(NULL); }
NrBytes nrp_payload(const NrpCall *call) { return call != NULL ? call->payload : nrp_bytes(NULL, 0); }
bool nrp_has_request(const NrpCall *call) { return call != NULL && call->req != NULL; }
NrStr nrp_method(const NrpCall *call) { return nrp_has_request(call) ? nrp_str_view(call->req->method) : nrp_str(NULL); }
NrStr nrp_path(const NrpCall *call) { return nrp_has_request(call) ? nrp_str_view(call->req->path) : nrp_str(NULL); }
NrStr nrp_query(const NrpCall *call) { return nrp_has_request(call) ? nrp_str_view(call->req->query) : nrp_str(NULL); }
size_t nrp_header_count(const NrpCall *call) { return nrp_has_request(call) ? call->req->headers_len : 0; }
void *nrp_user(const NrpCall *call) { return call != NULL ? call->user : NULL; }

void nrp_set_user(NrpCall *call, void *user) {
    if (call != NULL) call->user = user;
}

NrHeader nrp_header_at(const NrpCall *call, size_t index) {
    NrHeader h = {nrp_str(NULL), nrp_str(NULL)};
    if (index < nrp_header_count(call)) {
        h.key = nrp_str_view(call->req->headers[index].key);
        h.value = nrp_str_view(call->req->headers[index].value);
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
    sigjmp_buf env;
    NrpCall *call;
    pthread_t thread;
    NrpFrame *prev;
    char message[PANIC_MESSAGE_MAX];
};

/* What a boundary runs: a handler, a data handler, or a lifecycle hook. */
typedef struct NrpInvoke {
    NrpCall *call;
    NrpHandler handler;
    NrpDataHandler on_data;
    NrBytes data;
    NrStatus (*hook)(void);
    void (*void_hook)(void);
} NrpInvoke;

/* The boundary of a lifecycle hook (no call) running on this thread; handlers keep theirs in the call. */
static _Thread_local NrpFrame *hook_frame;

static NrStatus invoke(const NrpInvoke *what) {
    if (what->handler != NULL) return what->handler(what->call);
    if (what->on_data != NULL) return what->on_data(what->call, what->data);
    if (what->hook != NULL) return what->hook();
    if (what->void_hook != NULL) what->void_hook();
    return NR_STATUS_OK;
}

/* Runs `what`; a nrp_panic inside it lands here and fails the call with Err. */
static NrStatus guarded(const NrpInvoke *what) {
    NrpFrame frame;
    volatile NrStatus status = NR_STATUS_ERR;
    frame.call = what->call;
    frame.thread = pthread_self();
    frame.message[0] = '\0';
    if (frame.call != NULL) {
        frame.prev = atomic_load_explicit(&frame.call->frame, memory_order_relaxed);
        atomic_store_explicit(&frame.call->frame, &frame, memory_order_relaxed);
    } else {
        frame.prev = hook_frame;
        hook_frame = &frame;
    }
    if (sigsetjmp(frame.env, 0) == 0) {
        status = invoke(what);
    } else if (frame.call != NULL) {
        nrp_fail(frame.call, NR_STATUS_ERR, frame.message);
    }
    if (frame.call != NULL) {
        atomic_store_explicit(&frame.call->frame, frame.prev, memory_order_relaxed);
    } else {
        hook_frame = frame.prev;
    }
    return status;
}

void nrp_panic(NrpCall *call, const char *message) {
    NrpFrame *frame = call != NULL ? atomic_load_explicit(&call->frame, memory_order_relaxed) : NULL;
    const char *text = message != NULL && message[0] != '\0' ? message : "panic";
    if (frame == NULL || !pthread_equal(frame->thread, pthread_self())) frame = hook_frame;
    if (frame == NULL) {
        nrp_fail(call, NR_STATUS_ERR, text);
        pthread_exit(NULL);
    }
    size_t n = strlen(text);
    if (n >= sizeof(frame->message)) n = sizeof(frame->message) - 1;
    memcpy(frame->message, text, n);
    frame->message[n] = '\0';
    siglongjmp(frame->env, 1);
}

static NrStatus run_handler(NrpCall *call, NrpHandler handler) {
    NrpInvoke what = {call, handler, NULL, {NULL, 0}, NULL, NULL};
    return guarded(&what);
}

/* A rejection must be an error status; anything else a handler returns becomes Err. */
static NrStatus as_rejection(NrStatus status) { return is_error(status) ? status : NR_STATUS_ERR; }

/* After a synchronous handler: what handle returns, and the Err a forgetful handler owes. */
static NrStatus settle(NrpCall *call, NrStatus status) {
    unsigned state = atomic_load(&call->state);
    if (state & (CALL_ENDED | CALL_SENT)) {
        if (!(state & CALL_ENDED)) nrp_fail(call, NR_STATUS_ERR, "the stream handler returned without ending the stream");
        return NR_STATUS_OK;
    }
    if (status != NR_STATUS_OK) return as_rejection(status);
    nrp_fail(call, NR_STATUS_ERR, "the handler returned Ok without answering");
    return NR_STATUS_OK;
}

/* ------------------------------------------------------------------ routing */

static size_t *entry_name_lengths; /* filled once with the plugin info; NULL: measure each time */

static const NrpEntry *find_entry(NrStr name) {
    for (size_t i = 0; i < nrp_plugin.entry_count; i++) {
        const NrpEntry *e = &nrp_plugin.entries[i];
        if (e->name == NULL) continue;
        size_t n = entry_name_lengths != NULL ? entry_name_lengths[i] : strlen(e->name);
        if (n == name.len && (n == 0 || memcmp(e->name, name.ptr, n) == 0)) return e;
    }
    return NULL;
}

static NrStatus start_background(const NrpCall *borrowed);
static NrStatus open_session(const NrpCall *borrowed);

static NrStatus dispatch(NrStr entry, uint64_t sid, const NrRequest *req, NrBytes payload) {
    if (!atomic_load_explicit(&live, memory_order_acquire) || atomic_load_explicit(&stopping, memory_order_relaxed)) {
        return NR_STATUS_ERR;
    }
    if (!str_ok(entry) || !bytes_ok(payload)) return NR_STATUS_INVALID;
    const NrpEntry *e = find_entry(entry);
    if (e == NULL || e->start == NULL) {
        return nrp_utf8_valid(entry.ptr, entry.len) ? NR_STATUS_UNSUPPORTED : NR_STATUS_INVALID;
    }
    NrpCall call;
    call_init(&call, e, entry, sid, req, payload, false);
    if (e->kind == NRP_BIDI) return open_session(&call);
    if (e->run == NRP_BACKGROUND) return start_background(&call);
    return settle(&call, run_handler(&call, e->start));
}

/* ------------------------------------------------------------------ background jobs */

typedef struct NrpJob {
    NrpCall call;
    NrRequest req;
    pthread_t thread;
    bool finished;
    struct NrpJob *next;
} NrpJob;

static pthread_mutex_t jobs_lock = PTHREAD_MUTEX_INITIALIZER;
static NrpJob *jobs; /* started and not yet joined */

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

/* A job owning copies of everything the borrowed call points at, in one allocation. */
static NrpJob *job_new(const NrpCall *src) {
    size_t head = (sizeof(NrpJob) + _Alignof(NrHeader) - 1) / _Alignof(NrHeader) * _Alignof(NrHeader);
    size_t total = head;
    if (!add_size(&total, src->entry_name.len) || !add_size(&total, src->payload.len) ||
        !request_size(src->req, &total)) {
        return NULL;
    }
    NrpJob *job = malloc(total);
    if (job == NULL) return NULL;
    NrHeader *headers = (NrHeader *)(void *)((uint8_t *)job + head);
    uint8_t *cursor = (uint8_t *)(headers + (src->req != NULL ? src->req->headers_len : 0));
    NrStr name = copy_str(&cursor, src->entry_name);
    NrBytes payload = nrp_bytes(cursor, (size_t)src->payload.len);
    if (src->payload.len != 0) memcpy(cursor, src->payload.ptr, (size_t)src->payload.len);
    cursor += src->payload.len;
    if (src->req != NULL) copy_request(&job->req, headers, &cursor, src->req);
    call_init(&job->call, src->entry, name, src->sid, src->req != NULL ? &job->req : NULL, payload, true);
    job->finished = false;
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

static void *job_main(void *arg) {
    NrpJob *job = arg;
    settle_background(&job->call, run_handler(&job->call, job->call.entry->start));
    pthread_mutex_lock(&jobs_lock);
    job->finished = true;
    pthread_mutex_unlock(&jobs_lock);
    return NULL;
}

/* Unlinks the finished jobs (or all of them) so they can be joined outside the lock. */
static NrpJob *take_jobs_locked(bool all) {
    NrpJob *taken = NULL;
    NrpJob **link = &jobs;
    while (*link != NULL) {
        NrpJob *job = *link;
        if (all || job->finished) {
            *link = job->next;
            job->next = taken;
            taken = job;
        } else {
            link = &job->next;
        }
    }
    return taken;
}

static void join_jobs(NrpJob *list) {
    while (list != NULL) {
        NrpJob *next = list->next;
        pthread_join(list->thread, NULL);
        free(list);
        list = next;
    }
}

static NrStatus start_background(const NrpCall *borrowed) {
    NrpJob *job = job_new(borrowed);
    if (job == NULL) return NR_STATUS_ERR;
    pthread_mutex_lock(&jobs_lock);
    NrpJob *finished = take_jobs_locked(false);
    bool started = !atomic_load(&stopping) && pthread_create(&job->thread, NULL, job_main, job) == 0;
    if (started) {
        job->next = jobs;
        jobs = job;
    }
    pthread_mutex_unlock(&jobs_lock);
    join_jobs(finished);
    if (!started) free(job);
    return started ? NR_STATUS_OK : NR_STATUS_ERR;
}

/* Shutdown: waits for every background handler (new ones are refused by now). */
static void join_all_jobs(void) {
    for (;;) {
        pthread_mutex_lock(&jobs_lock);
        NrpJob *all = take_jobs_locked(true);
        pthread_mutex_unlock(&jobs_lock);
        if (all == NULL) return;
        join_jobs(all);
    }
}

/* ------------------------------------------------------------------ bidirectional sessions */

struct NrpSession {
    NrpCall call;
    pthread_mutex_t lock; /* one callback of a session at a time */
    atomic_uint refs;     /* the table's reference plus one per callback in progress */
    bool listed;          /* guarded by sessions_lock */
    NrpSession *next;
};

static pthread_mutex_t sessions_lock = PTHREAD_MUTEX_INITIALIZER;
static NrpSession *sessions[SESSION_BUCKETS];

static NrpSession **bucket(uint64_t sid) { return &sessions[(sid ^ (sid >> 32)) % SESSION_BUCKETS]; }

static void session_release(NrpSession *s) {
    if (atomic_fetch_sub(&s->refs, 1) == 1) {
        pthread_mutex_destroy(&s->lock);
        free(s);
    }
}

static NrpSession *session_acquire(uint64_t sid) {
    pthread_mutex_lock(&sessions_lock);
    NrpSession *s = *bucket(sid);
    while (s != NULL && s->call.sid != sid) s = s->next;
    if (s != NULL) atomic_fetch_add(&s->refs, 1);
    pthread_mutex_unlock(&sessions_lock);
    return s;
}

/* Forgets the sid; drops the table's reference (the caller holds another). */
static void session_unlist(NrpSession *s) {
    bool was_listed;
    pthread_mutex_lock(&sessions_lock);
    was_listed = s->listed;
    if (was_listed) {
        NrpSession **link = bucket(s->call.sid);
        while (*link != s) link = &(*link)->next;
        *link = s->next;
        s->listed = false;
    }
    pthread_mutex_unlock(&sessions_lock);
    if (was_listed) session_release(s);
}

/* Lists a new session; false for a sid already open or once shutdown has begun. */
static bool session_list(NrpSession *s) {
    bool ok;
    pthread_mutex_lock(&sessions_lock);
    NrpSession *other = *bucket(s->call.sid);
    while (other != NULL && other->call.sid != s->call.sid) other = other->next;
    ok = other == NULL && !atomic_load(&stopping);
    if (ok) {
        s->next = *bucket(s->call.sid);
        *bucket(s->call.sid) = s;
        s->listed = true;
    }
    pthread_mutex_unlock(&sessions_lock);
    return ok;
}

static NrStatus open_session(const NrpCall *borrowed) {
    NrpSession *s = calloc(1, sizeof(*s));
    if (s == NULL) return NR_STATUS_ERR;
    call_init(&s->call, borrowed->entry, borrowed->entry_name, borrowed->sid, borrowed->req, borrowed->payload, true);
    s->call.session = s;
    atomic_init(&s->refs, 2u); /* the table's and this callback's */
    pthread_mutex_init(&s->lock, NULL);
    if (!session_list(s)) {
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NR_STATUS_INVALID;
    }
    pthread_mutex_lock(&s->lock);
    NrStatus status = run_handler(&s->call, s->call.entry->start);
    s->call.req = NULL; /* borrowed for handle only */
    s->call.payload = nrp_bytes(NULL, 0);
    s->call.entry_name = nrp_str_n(s->call.entry->name, strlen(s->call.entry->name));
    unsigned state = atomic_load(&s->call.state);
    NrStatus result = NR_STATUS_OK;
    if (!(state & (CALL_ENDED | CALL_SENT)) && status != NR_STATUS_OK) {
        atomic_fetch_or(&s->call.state, CALL_ENDED); /* rejected: nothing may follow */
        session_unlist(s);
        result = as_rejection(status);
    }
    pthread_mutex_unlock(&s->lock);
    session_release(s);
    return result;
}

static NrStatus session_data(NrpSession *s, NrBytes data) {
    if (nrp_done(&s->call)) return NR_STATUS_INVALID;
    if (s->call.entry->on_data == NULL) return NR_STATUS_UNSUPPORTED;
    NrpInvoke what = {&s->call, NULL, s->call.entry->on_data, nrp_bytes_view(data), NULL, NULL};
    NrStatus status = guarded(&what);
    return status == NR_STATUS_OK || is_error(status) ? status : NR_STATUS_ERR;
}

static NrStatus session_close(NrpSession *s) {
    if (nrp_done(&s->call)) return NR_STATUS_INVALID;
    NrStatus status = s->call.entry->on_close != NULL ? run_handler(&s->call, s->call.entry->on_close) : NR_STATUS_OK;
    if (status == NR_STATUS_OK || status == NR_STATUS_STREAM_END) nrp_end(&s->call);
    else nrp_fail(&s->call, status, "the stream was closed with an error");
    return NR_STATUS_OK;
}

/* Shutdown: every stream still open ends with Err (new ones are refused by now). */
static void end_all_sessions(void) {
    for (;;) {
        NrpSession *s = NULL;
        pthread_mutex_lock(&sessions_lock);
        for (unsigned i = 0; i < SESSION_BUCKETS && s == NULL; i++) s = sessions[i];
        if (s != NULL) atomic_fetch_add(&s->refs, 1);
        pthread_mutex_unlock(&sessions_lock);
        if (s == NULL) return;
        pthread_mutex_lock(&s->lock);
        nrp_fail(&s->call, NR_STATUS_ERR, "the plugin shut down");
        session_unlist(s); /* even if the stream had ended some other way meanwhile */
        pthread_mutex_unlock(&s->lock);
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
    if (!ok || call == NULL || (data == NULL && len != 0) || ext == NULL || ext->set_state == NULL || !host_begin(call)) {
        return false;
    }
    NrBytes copy = ext->set_state(host_ctx, call->sid, k, nrp_bytes(data, len));
    host_end(call);
    if (stored != NULL) *stored = nrp_bytes_view(copy);
    return true;
}

bool nrp_state_get(const NrpCall *call, const char *key, NrBytes *value) {
    bool ok;
    NrStr k = state_key(key, &ok);
    const NrHostExt *ext = atomic_load(&host_ext);
    if (!ok || call == NULL || ext == NULL || ext->get_state == NULL || !host_begin(call)) return false;
    NrBytes got = ext->get_state(host_ctx, call->sid, k);
    host_end(call);
    if (value != NULL) *value = nrp_bytes_view(got);
    return true;
}

/* ------------------------------------------------------------------ the vtable */

static NrStatus plugin_init(void *plugin_ctx, void *ctx, const NrHostVTable *host_vtable) {
    (void)plugin_ctx;
    if (host_vtable == NULL || host_vtable->send_result == NULL) return NR_STATUS_INVALID;
    host_ctx = ctx;
    host_send_fn = host_vtable->send_result;
    atomic_store(&stopping, false);
    atomic_store(&live, true);
    if (nrp_plugin.on_init == NULL) return NR_STATUS_OK;
    NrpInvoke what = {NULL, NULL, NULL, {NULL, 0}, nrp_plugin.on_init, NULL};
    NrStatus status = guarded(&what);
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
    atomic_store(&stopping, true);
    join_all_jobs();
    end_all_sessions();
    if (nrp_plugin.on_shutdown != NULL && atomic_load(&live)) {
        NrpInvoke what = {NULL, NULL, NULL, {NULL, 0}, NULL, nrp_plugin.on_shutdown};
        guarded(&what);
    }
    close_host_gate();
}

static NrStatus plugin_stream_data(void *plugin_ctx, uint64_t sid, NrBytes data) {
    (void)plugin_ctx;
    if (!bytes_ok(data)) return NR_STATUS_INVALID;
    NrpSession *s = session_acquire(sid);
    if (s == NULL) return NR_STATUS_INVALID;
    pthread_mutex_lock(&s->lock);
    NrStatus status = session_data(s, data);
    pthread_mutex_unlock(&s->lock);
    session_release(s);
    return status;
}

static NrStatus plugin_stream_close(void *plugin_ctx, uint64_t sid) {
    (void)plugin_ctx;
    NrpSession *s = session_acquire(sid);
    if (s == NULL) return NR_STATUS_INVALID;
    pthread_mutex_lock(&s->lock);
    NrStatus status = session_close(s);
    pthread_mutex_unlock(&s->lock);
    session_release(s);
    return status;
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
    size_t *lengths = nrp_plugin.entry_count != 0 ? calloc(nrp_plugin.entry_count, sizeof(size_t)) : NULL;
    for (size_t i = 0; lengths != NULL && i < nrp_plugin.entry_count; i++) {
        const char *name = nrp_plugin.entries[i].name;
        lengths[i] = name != NULL ? strlen(name) : 0;
    }
    entry_name_lengths = lengths;
}

NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin_v1(void) {
    pthread_once(&plugin_info_once, fill_plugin_info);
    return &plugin_info;
}

NR_EXPORT void nylon_ring_set_host_ext_v1(const NrHostExt *ext) { atomic_store(&host_ext, ext); }

NR_DEFINE_LAYOUT_PROBE()

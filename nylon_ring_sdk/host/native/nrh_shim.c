/*
 * nrh_shim: the native half of the nylon-ring reference host.
 *
 * Why it exists: the ABI's set_state/get_state callbacks return NrBytes by value,
 * which a ctypes callback cannot do, and send_result may arrive on any foreign
 * thread at any time, including after the Python side gave up on a call. Doing
 * the callbacks in C keeps them safe (no Python on a plugin thread, no GIL) and
 * fast: a synchronous raw call is a single foreign call from Python.
 *
 * Model: every request gets a session keyed by its sid. send_result copies the
 * frame into the session's queue (a small first frame sent while handle runs
 * goes straight into the caller's result buffer); Python pops frames with
 * nrh_call/nrh_next. Anything the protocol forbids (a frame for a sid that is
 * unknown, finished, rejected, after a terminal frame or after shutdown) is
 * appended to the violation log instead of being delivered. A host is never
 * freed: a plugin thread may still hold host_ctx after everything else is gone.
 * The nrh_py_* functions at the end build the Python result objects.
 *
 * Built on first use from this file and the generated nylon_ring.h (CPython's
 * stable-ABI functions resolve against the running interpreter), once per ABI
 * generation: NRH_ABI=1 against ABI 1's header, NRH_ABI=2 against ABI 2's. The
 * session machinery is shared; the callbacks and plugin calls of each generation
 * are in #if NRH_ABI blocks. ABI 2 adds answers without a copy (send_result_owned:
 * the frame keeps the plugin's view, hashed at send time and checked before
 * release), host-owned leases (acquire/commit), a bounded queue per stream
 * (Backpressure when full) and integer dispatch (resolve_entry/handle_by_id).
 */
#define _GNU_SOURCE
#ifndef NRH_ABI
#define NRH_ABI 1
#endif
#include "nylon_ring.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

#define NRH_API __attribute__((visibility("default")))

#define NRH_BUCKETS 4096u
#define NRH_TOMBS 65536u
#define NRH_MAX_VIOLATIONS 65536u
#define NRH_INLINE 4096u
#define NRH_SPARE_SESSIONS 256u
/* Largest lease a plugin may ask for (acquire fails above it). */
#define NRH_MAX_LEASE (1ull << 30)

#if NRH_ABI == 2
#define NRH_MAX_STATUS NR_STATUS_BACKPRESSURE
/* Ok and Backpressure continue a stream; every other status ends it. */
#define NRH_TERMINAL(st) ((st) != NR_STATUS_OK && (st) != NR_STATUS_BACKPRESSURE)
#define NRH_BACKPRESSURE NR_STATUS_BACKPRESSURE
#else
#define NRH_MAX_STATUS NR_STATUS_STREAM_END
#define NRH_BACKPRESSURE 6u /* never answered: ABI 1 streams are unbounded */
#define NRH_TERMINAL(st) ((st) != NR_STATUS_OK)
#endif

/* How a frame's bytes reached the host (nrh_out.path). */
enum { NRH_PATH_COPY = 0, NRH_PATH_OWNED = 1, NRH_PATH_LEASE = 2 };
/* Lease state of a session (and of its tomb once retired). */
enum { NRH_LEASE_NONE = 0, NRH_LEASE_OUT = 1, NRH_LEASE_COMMITTED = 2, NRH_LEASE_SUPERSEDED = 3 };

/* session modes (bit flags passed by Python) */
#define NRH_MODE_UNARY 1u  /* the first frame is terminal, whatever its status */
#define NRH_MODE_NOTIFY 2u /* call the notify hook after each frame (asyncio) */

/* return codes of nrh_call / nrh_next */
#define NRH_FRAME 0u    /* out holds a frame */
#define NRH_PENDING 1u  /* accepted; no frame yet */
#define NRH_REJECTED 2u /* handle returned non-Ok; out.handle_status says which */
#define NRH_TIMEOUT 3u  /* no frame within the timeout */
#define NRH_GONE 4u     /* no such session (finished or detached) */
#define NRH_CLOSED 5u   /* the host was shut down while waiting */
#define NRH_NO_SLOT 6u  /* the vtable slot needed is NULL */
/* NRH_CLOSED also answers a call started after shutdown: the plugin is not called. */

/* violation kinds (mirrored in Python) */
enum {
    NRH_V_UNKNOWN_SID = 1,      /* sid never issued by this host */
    NRH_V_AFTER_TERMINAL = 2,   /* frame after the sid's terminal frame */
    NRH_V_REJECTED_SID = 3,     /* frame for a sid whose handle returned non-Ok */
    NRH_V_FINISHED_SID = 4,     /* frame for a sid finished long ago */
    NRH_V_AFTER_SHUTDOWN = 5,   /* frame after shutdown returned */
    NRH_V_INVALID_STATUS = 6,   /* status outside the NrStatus enum (delivered as terminal) */
    NRH_V_NULL_PAYLOAD = 7,     /* NULL payload pointer with a non-zero length (delivered empty) */
    NRH_V_STATE_NO_SID = 8,     /* set_state/get_state for a sid that is not running */
    NRH_V_STATE_BAD_ARG = 9,    /* set_state/get_state with a NULL pointer and non-zero length */
    NRH_V_OUT_OF_MEMORY = 10,   /* a frame could not be copied */
    NRH_V_OWNED_CHANGED = 11,   /* an owned buffer changed between send_result_owned and release */
    NRH_V_LEASE_OVER_CAP = 12,  /* commit with initialized_len > cap (lease kept) */
    NRH_V_LEASE_BAD_TOKEN = 13, /* commit with a token that is not the lease's (lease kept) */
    NRH_V_LEASE_DOUBLE = 14,    /* commit of a lease already committed */
    NRH_V_LEASE_AFTER_ANSWER = 15, /* commit of a lease consumed by an answer through another path */
    NRH_V_LEASE_MISSING = 16,   /* commit for a sid that holds no lease */
    NRH_V_OWNED_NO_DROP = 17,   /* NrVecU8 with owned = 1 and a NULL drop_fn (cannot be freed) */
    NRH_V_INPUT_WRITTEN = 18,   /* hostile host: a poisoned input buffer was written after its call */
    NRH_V_LEASE_CHANGED = 19,   /* hostile host: a committed lease changed after commit */
    NRH_V_HANDLE_STATUS = 20,   /* handle returned a status outside the NrStatus enum */
};

enum { NRH_TOMB_COMPLETED = 1, NRH_TOMB_REJECTED = 2 };

struct nrh_host;

typedef struct nrh_frame {
    struct nrh_frame *next;
    uint64_t seq, tid, t_ns, len;
    uint32_t status, terminal, path;
    /* NRH_PATH_OWNED only: the plugin's bytes, how to give them back, their hash at send time. */
    const uint8_t *view;
    void *owner_ctx;
    void (*release)(void *owner_ctx, const uint8_t *ptr, uint64_t len);
    uint64_t hash;      /* also: a parked lease's token */
    uint64_t view_len;  /* the length release gets back; a lease's capacity */
    uint64_t sid;
    struct nrh_host *host;
    uint32_t hostile_state; /* hostile host only (nrh_hostile.c) */
    uint8_t data[];
} nrh_frame;

typedef struct nrh_kv {
    struct nrh_kv *next;
    uint8_t *key;
    uint8_t *val;
    uint64_t vlen;
    uint32_t klen;
} nrh_kv;

/* What nrh_call/nrh_next hand back; Python reads it with struct.unpack_from. */
typedef struct {
    uint64_t len, sid, handle_ns, tid, t_ns, seq;
    uint32_t status, terminal, handle_status, code, path;
    const uint8_t *data;
    void *held; /* frame whose payload `data` points into; freed by the next fill */
    uint8_t inline_buf[NRH_INLINE];
} nrh_out;

typedef struct nrh_session {
    struct nrh_session *next;
    uint64_t sid;
    uint32_t mode;
    uint32_t in_handle, terminated, detached, waiting;
    uint32_t retired;      /* unlinked while consumers waited on it: the last one to leave recycles it */
    uint32_t direct_frame; /* the first frame went straight into direct_out */
    nrh_out *direct_out;   /* the calling thread's buffer while handle runs */
    uint64_t frames;       /* frames received (including dropped ones while detached) */
    nrh_frame *head, *tail;
    uint64_t queued;       /* frames in head..tail (bounded for streams on ABI 2) */
    nrh_frame *lease;      /* the leased buffer (NRH_LEASE_OUT, or parked when superseded) */
    uint64_t lease_token;
    uint32_t lease_state;
    nrh_kv *state;
    pthread_cond_t cond; /* last: survives recycling (everything before it is zeroed) */
} nrh_session;

typedef struct {
    uint64_t sid;
    uint32_t kind, lease;
    uint64_t token;
} nrh_tomb;

/* One protocol violation; read by Python with the same layout. */
typedef struct {
    uint64_t sid, seq, tid, t_ns, size;
    uint32_t kind, status;
} nrh_violation;

typedef struct nrh_host nrh_host;

typedef void (*nrh_notify_fn)(uint64_t sid);

struct nrh_host {
    /* host_ctx compatibility: seed-era Rust plugins read a `const NrHostExt *` at byte 48. */
    uint8_t reserved_prefix[48];
#if NRH_ABI == 2
    const void *seed_ext; /* always NULL: ABI 2 has no state extension */
    NrHostVTable vtable;
#else
    const NrHostExt *seed_ext;
    NrHostVTable vtable;
    NrHostExt ext;
#endif
    pthread_mutex_t lock;
    pthread_condattr_t cond_attr;
    void *plugin_ctx;
    NrPluginVTable plugin;
    nrh_notify_fn notify;
    uint64_t first_sid, last_sid, seq, live_sessions, state_entries, violations_dropped;
    uint32_t shut, shutdown_called;
    nrh_session *buckets[NRH_BUCKETS];
    nrh_session *spare; /* retired sessions kept for reuse */
    uint32_t spare_count;
    nrh_tomb tombs[NRH_TOMBS];
    nrh_violation *violations;
    uint64_t violation_count;
    uint64_t stream_queue;      /* frames a stream may hold before Backpressure; 0: unbounded */
    uint64_t backpressured;     /* frames answered Backpressure */
    uint64_t released;          /* owned buffers given back through release */
    uint64_t lease_seq;         /* source of lease tokens */
    nrh_frame *to_release;      /* owned frames to give back once the lock is dropped */
    nrh_frame *orphans;         /* leases superseded by another answer: the plugin may still write */
    struct nrh_hostile *hostile; /* NULL: the kind host; else guarded, poisoned buffers (nrh_hostile.c) */
};

_Static_assert(offsetof(nrh_host, seed_ext) == 48, "host_ctx offset 48 must hold the NrHostExt pointer");

static uint64_t nrh_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The OS thread id, cached per thread: a gettid system call costs more than the rest of a call. */
static _Thread_local uint64_t nrh_cached_tid;

static uint64_t nrh_os_tid(void) {
#if defined(__linux__)
    return (uint64_t)syscall(SYS_gettid);
#elif defined(__APPLE__)
    uint64_t id = 0;
    pthread_threadid_np(NULL, &id);
    return id;
#else
    return (uint64_t)(uintptr_t)pthread_self();
#endif
}

static uint64_t nrh_tid(void) {
    if (!nrh_cached_tid) nrh_cached_tid = nrh_os_tid();
    return nrh_cached_tid;
}

/* ------------------------------------------------------------------ owned frames */

/* FNV-1a over 8-byte words: cheap enough to fingerprint every owned answer. */
static uint64_t nrh_hash(const uint8_t *ptr, uint64_t len) {
    uint64_t hash = 0xcbf29ce484222325ull ^ len;
    uint64_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t word;
        memcpy(&word, ptr + i, 8);
        hash = (hash ^ word) * 0x100000001b3ull;
    }
    for (; i < len; i++) hash = (hash ^ ptr[i]) * 0x100000001b3ull;
    return hash;
}

static void nrh_violate(nrh_host *h, uint64_t sid, uint32_t kind, uint32_t status, uint64_t size,
                        uint64_t tid, uint64_t t_ns);
static int nrh_hold_owned(nrh_host *h, nrh_frame *f);
static int nrh_lease_done(nrh_host *h, nrh_frame *f);

/*
 * Lock NOT held: the host is done with an owned frame. Its bytes must be what they
 * were when the plugin sent them (else a violation), then release is called, once.
 */
static void nrh_give_back(nrh_frame *f) {
    nrh_host *h = f->host;
    if (h->hostile && nrh_hold_owned(h, f)) return; /* released later, checked again then */
    if (f->hostile_state != 3 && f->view && f->len && nrh_hash(f->view, f->len) != f->hash) {
        pthread_mutex_lock(&h->lock);
        nrh_violate(h, f->sid, NRH_V_OWNED_CHANGED, f->status, f->len, nrh_tid(), nrh_now());
        pthread_mutex_unlock(&h->lock);
    }
    if (f->release) f->release(f->owner_ctx, f->view, f->view_len);
    __atomic_add_fetch(&h->released, 1, __ATOMIC_RELAXED);
    free(f);
}

/* Lock held: dispose of a frame; an owned one is given back once the lock is dropped. */
static void nrh_discard(nrh_host *h, nrh_frame *f) {
    if (!f) return;
    if (f->path == NRH_PATH_OWNED) {
        f->next = h->to_release;
        h->to_release = f;
    } else if (!nrh_lease_done(h, f)) {
        free(f);
    }
}

/* Lock NOT held: dispose of a frame (an out buffer's held frame). */
static void nrh_discard_now(nrh_frame *f) {
    if (!f) return;
    if (f->path == NRH_PATH_OWNED) {
        nrh_give_back(f);
    } else if (f->path == NRH_PATH_LEASE && f->host && f->host->hostile) {
        pthread_mutex_lock(&f->host->lock);
        nrh_discard(f->host, f);
        pthread_mutex_unlock(&f->host->lock);
    } else {
        free(f);
    }
}

/* Drop the lock, then give back the owned frames discarded while it was held (release is
 * plugin code: it never runs under the host's lock). */
static void nrh_unlock(nrh_host *h) {
    nrh_frame *f = h->to_release;
    h->to_release = NULL;
    pthread_mutex_unlock(&h->lock);
    while (f) {
        nrh_frame *next = f->next;
        nrh_give_back(f);
        f = next;
    }
}

#include "nrh_hostile.c"

/* ------------------------------------------------------------------ sessions */

static nrh_session *nrh_find(nrh_host *h, uint64_t sid) {
    nrh_session *s = h->buckets[sid & (NRH_BUCKETS - 1)];
    while (s && s->sid != sid) s = s->next;
    return s;
}

static void nrh_unlink(nrh_host *h, nrh_session *s) {
    nrh_session **at = &h->buckets[s->sid & (NRH_BUCKETS - 1)];
    while (*at && *at != s) at = &(*at)->next;
    if (*at) *at = s->next;
    h->live_sessions--;
}

static void nrh_drop_state(nrh_host *h, nrh_session *s) {
    nrh_kv *kv = s->state;
    while (kv) {
        nrh_kv *next = kv->next;
        free(kv->key);
        free(kv->val);
        free(kv);
        h->state_entries--;
        kv = next;
    }
    s->state = NULL;
}

static void nrh_free_frames(nrh_host *h, nrh_session *s) {
    nrh_frame *f = s->head;
    while (f) {
        nrh_frame *next = f->next;
        nrh_discard(h, f);
        f = next;
    }
    s->head = s->tail = NULL;
    s->queued = 0;
}

static void nrh_recycle(nrh_host *h, nrh_session *s);

/* Remove a session for good and remember how it ended. Lock held. */
static void nrh_retire(nrh_host *h, nrh_session *s, uint32_t tomb_kind) {
    nrh_unlink(h, s);
    nrh_tomb *t = &h->tombs[s->sid & (NRH_TOMBS - 1)];
    t->sid = s->sid;
    t->kind = tomb_kind;
    t->lease = s->lease_state;
    t->token = s->lease_token;
    if (s->lease) { /* never freed here: the plugin may still write into it (a late commit frees it) */
        s->lease->hash = s->lease_token;
        s->lease->next = h->orphans;
        h->orphans = s->lease;
        s->lease = NULL;
    }
    nrh_drop_state(h, s);
    nrh_free_frames(h, s);
    if (s->waiting) {
        /* A consumer still sleeps on this session's condition variable (another thread detached
         * it): recycling it now would hand that consumer the next sid's frames. */
        s->retired = 1;
        pthread_cond_broadcast(&s->cond);
        return;
    }
    nrh_recycle(h, s);
}

/* Lock held: keep a retired session for reuse, or free it. */
static void nrh_recycle(nrh_host *h, nrh_session *s) {
    if (h->spare_count < NRH_SPARE_SESSIONS) {
        s->next = h->spare;
        h->spare = s;
        h->spare_count++;
    } else {
        pthread_cond_destroy(&s->cond);
        free(s);
    }
}

static void nrh_violate(nrh_host *h, uint64_t sid, uint32_t kind, uint32_t status, uint64_t size,
                        uint64_t tid, uint64_t t_ns) {
    if (h->violation_count >= NRH_MAX_VIOLATIONS) {
        h->violations_dropped++;
        return;
    }
    nrh_violation *v = &h->violations[h->violation_count++];
    v->sid = sid;
    v->seq = ++h->seq;
    v->tid = tid;
    v->t_ns = t_ns;
    v->size = size;
    v->kind = kind;
    v->status = status;
}

/* Why a frame for a sid with no live session is wrong. Lock held. */
static uint32_t nrh_classify_missing(nrh_host *h, uint64_t sid) {
    if (sid < h->first_sid || sid > h->last_sid) return NRH_V_UNKNOWN_SID;
    nrh_tomb *t = &h->tombs[sid & (NRH_TOMBS - 1)];
    if (t->sid == sid) return t->kind == NRH_TOMB_REJECTED ? NRH_V_REJECTED_SID : NRH_V_AFTER_TERMINAL;
    return NRH_V_FINISHED_SID;
}

/* ------------------------------------------------------------------ callbacks */

static nrh_frame *nrh_copy_frame(uint32_t status, const uint8_t *ptr, uint64_t len, uint64_t tid, uint64_t t_ns) {
    nrh_frame *f = (nrh_frame *)malloc(sizeof(nrh_frame) + (size_t)len);
    if (!f) return NULL;
    f->next = NULL;
    f->len = len;
    f->tid = tid;
    f->t_ns = t_ns;
    f->status = status;
    f->terminal = 0;
    f->path = NRH_PATH_COPY;
    f->view = NULL;
    f->release = NULL;
    if (len) memcpy(f->data, ptr, (size_t)len);
    return f;
}

/* Lock held: count a frame on its session; whether it ends the sid (its state is then dropped). */
static uint32_t nrh_account(nrh_host *h, nrh_session *s, uint32_t status) {
    uint32_t terminal = (s->mode & NRH_MODE_UNARY) || NRH_TERMINAL(status);
    s->frames++;
    if (terminal) {
        s->terminated = 1;
        nrh_drop_state(h, s);
    }
    return terminal;
}

/* Lock held: append a frame to a live session, or account for it on a detached one. */
static void nrh_deliver(nrh_host *h, nrh_session *s, nrh_frame *f, uint32_t status) {
    uint32_t terminal = nrh_account(h, s, status);
    if (s->detached) {
        nrh_discard(h, f);
        if (terminal && !s->in_handle) nrh_retire(h, s, NRH_TOMB_COMPLETED);
        return;
    }
    f->terminal = terminal;
    f->seq = ++h->seq;
    f->next = NULL;
    if (s->tail) s->tail->next = f; else s->head = f;
    s->tail = f;
    s->queued++;
    if (s->waiting) pthread_cond_signal(&s->cond);
}

/* Lock held: whether a small first frame may go straight into the caller's out buffer
 * (it arrives while handle still runs, so nrh_call has not read the buffer yet). */
static int nrh_can_direct(const nrh_session *s) {
    return s->in_handle && s->direct_out && !s->direct_frame && !s->head && !s->detached;
}

/* Lock held: the synchronous fast path: no allocation, one copy. */
static void nrh_deliver_direct(nrh_host *h, nrh_session *s, uint32_t status, const uint8_t *ptr, uint64_t len,
                               uint64_t tid, uint64_t t_ns) {
    nrh_out *out = s->direct_out;
    nrh_discard(h, (nrh_frame *)out->held);
    out->held = NULL;
    out->path = NRH_PATH_COPY;
    if (len) memcpy(out->inline_buf, ptr, (size_t)len); /* first: ptr may point into state dropped below */
    out->data = out->inline_buf;
    out->len = len;
    out->tid = tid;
    out->t_ns = t_ns;
    out->seq = ++h->seq;
    out->status = status;
    out->terminal = nrh_account(h, s, status);
    s->direct_frame = 1;
}

/*
 * Every answer comes in here (send_result, send_result_owned): check it against
 * the sid's session, then deliver it or record why not. `owned` is the frame of an
 * owned answer (it keeps the plugin's view), NULL for a copy. Returns Ok, Invalid
 * (not deliverable: recorded) or Backpressure (the stream's queue is full).
 */
static NrStatus nrh_send(nrh_host *h, uint64_t sid, NrStatus status, const uint8_t *ptr, uint64_t raw_len,
                         nrh_frame *owned) {
    uint64_t t_ns = nrh_now(), tid = nrh_tid();
    int null_payload = ptr == NULL && raw_len != 0;
    uint64_t len = null_payload ? 0 : raw_len;
    /* A large payload is copied before taking the lock; a small one under it. */
    nrh_frame *f = owned ? owned : len > NRH_INLINE ? nrh_copy_frame(status, ptr, len, tid, t_ns) : NULL;
    if (owned) {
        owned->len = len;
        owned->tid = tid;
        owned->t_ns = t_ns;
        owned->status = status;
        owned->sid = sid;
    }
    NrStatus result = NR_STATUS_OK;
    nrh_notify_fn notify = NULL;
    pthread_mutex_lock(&h->lock);
    nrh_session *s = h->shut ? NULL : nrh_find(h, sid);
    uint32_t kind = h->shut ? NRH_V_AFTER_SHUTDOWN
                  : !s ? nrh_classify_missing(h, sid)
                  : s->terminated ? NRH_V_AFTER_TERMINAL
                  : len > NRH_INLINE && !f ? NRH_V_OUT_OF_MEMORY : 0;
    int full = !kind && !(s->mode & NRH_MODE_UNARY) && h->stream_queue && !s->detached &&
               s->queued >= h->stream_queue;
    int direct = !kind && !full && !owned && len <= NRH_INLINE && nrh_can_direct(s);
    if (!kind && !full && !direct && !f) {
        f = nrh_copy_frame(status, ptr, len, tid, t_ns);
        if (!f) kind = NRH_V_OUT_OF_MEMORY;
    }
    if (kind) {
        nrh_violate(h, sid, kind, status, raw_len, tid, t_ns);
        nrh_discard(h, f);
        result = NR_STATUS_INVALID;
    } else if (full) {
        h->backpressured++;
        nrh_discard(h, f);
        result = NRH_BACKPRESSURE;
    } else {
        if (null_payload) nrh_violate(h, sid, NRH_V_NULL_PAYLOAD, status, raw_len, tid, t_ns);
        if (status > NRH_MAX_STATUS) nrh_violate(h, sid, NRH_V_INVALID_STATUS, status, len, tid, t_ns);
        if (s->lease_state == NRH_LEASE_OUT) s->lease_state = NRH_LEASE_SUPERSEDED;
        if (s->mode & NRH_MODE_NOTIFY) notify = h->notify;
        if (direct) nrh_deliver_direct(h, s, status, ptr, len, tid, t_ns);
        else nrh_deliver(h, s, f, status);
    }
    nrh_unlock(h);
    if (notify) notify(sid);
    return result;
}

#if NRH_ABI == 2
static NrStatus nrh_send_result(void *host_ctx, uint64_t sid, NrStatus status, NrVecU8 payload) {
    nrh_host *h = (nrh_host *)host_ctx;
    NrStatus result = h ? nrh_send(h, sid, status, payload.ptr, payload.len, NULL) : NR_STATUS_INVALID;
    if (payload.owned == 1) { /* copied above: the producer's allocator frees it */
        if (payload.drop_fn) {
            payload.drop_fn(payload.ptr, payload.len, payload.cap);
        } else if (h) {
            pthread_mutex_lock(&h->lock);
            nrh_violate(h, sid, NRH_V_OWNED_NO_DROP, status, payload.len, nrh_tid(), nrh_now());
            nrh_unlock(h);
        }
    }
    return result;
}

static NrStatus nrh_send_result_owned(void *host_ctx, uint64_t sid, NrStatus status, NrOwnedBytes payload) {
    nrh_host *h = (nrh_host *)host_ctx;
    nrh_frame *f = h ? (nrh_frame *)calloc(1, sizeof(nrh_frame)) : NULL;
    if (!f) {
        if (payload.release) payload.release(payload.owner_ctx, payload.ptr, payload.len);
        return NR_STATUS_INVALID;
    }
    f->path = NRH_PATH_OWNED;
    f->view = payload.ptr;
    f->view_len = payload.len;
    f->owner_ctx = payload.owner_ctx;
    f->release = payload.release;
    f->host = h;
    f->hash = payload.ptr ? nrh_hash(payload.ptr, payload.len) : 0;
    return nrh_send(h, sid, status, payload.ptr, payload.len, f);
}

/* A lease token: odd steps from a per-host start never repeat, and 0 is never handed out. */
static uint64_t nrh_token(nrh_host *h) {
    do h->lease_seq += 0x9e3779b97f4a7c15ull; while (h->lease_seq == 0);
    return h->lease_seq;
}

static NrBufferLease nrh_acquire(void *host_ctx, uint64_t sid, uint64_t capacity) {
    NrBufferLease lease = {NULL, 0, 0};
    nrh_host *h = (nrh_host *)host_ctx;
    if (!h || capacity > NRH_MAX_LEASE) return lease;
    nrh_frame *f = (nrh_frame *)malloc(sizeof(nrh_frame) + (size_t)(capacity ? capacity : 1));
    if (!f) return lease;
    memset(f, 0, sizeof(nrh_frame));
    f->path = NRH_PATH_LEASE;
    f->view_len = capacity;
    f->sid = sid;
    f->host = h;
    nrh_lease_poison(h, f, capacity);
    pthread_mutex_lock(&h->lock);
    nrh_session *s = h->shut ? NULL : nrh_find(h, sid);
    if (s && (s->mode & NRH_MODE_UNARY) && !s->terminated && s->lease_state == NRH_LEASE_NONE) {
        s->lease = f;
        s->lease_state = NRH_LEASE_OUT;
        s->lease_token = nrh_token(h);
        lease.ptr = f->data;
        lease.cap = capacity;
        lease.token = s->lease_token;
        f = NULL;
    }
    nrh_unlock(h);
    free(f);
    return lease;
}

/* Lock held: free a parked lease once a late commit promised not to touch it again. */
static void nrh_free_orphan(nrh_host *h, uint64_t token) {
    for (nrh_frame **at = &h->orphans; *at; at = &(*at)->next) {
        if ((*at)->hash == token) {
            nrh_frame *f = *at;
            *at = f->next;
            free(f);
            return;
        }
    }
}

/* Lock held: why a commit for a sid with no live session is wrong. */
static uint32_t nrh_classify_commit(nrh_host *h, uint64_t sid, uint64_t token) {
    if (sid < h->first_sid || sid > h->last_sid) return NRH_V_UNKNOWN_SID;
    nrh_tomb *t = &h->tombs[sid & (NRH_TOMBS - 1)];
    if (t->sid != sid) return NRH_V_FINISHED_SID;
    if (t->lease == NRH_LEASE_OUT || t->lease == NRH_LEASE_SUPERSEDED) nrh_free_orphan(h, token);
    if (t->lease == NRH_LEASE_COMMITTED) return NRH_V_LEASE_DOUBLE;
    if (t->lease == NRH_LEASE_SUPERSEDED) return NRH_V_LEASE_AFTER_ANSWER;
    if (t->kind == NRH_TOMB_REJECTED) return NRH_V_REJECTED_SID;
    return NRH_V_LEASE_MISSING;
}

/* Lock held: why a commit on a live session is refused (0: it is fine). A bad token or
 * length keeps the lease for a corrected retry. */
static uint32_t nrh_commit_problem(nrh_session *s, uint64_t token, uint64_t len) {
    switch (s->lease_state) {
    case NRH_LEASE_NONE: return NRH_V_LEASE_MISSING;
    case NRH_LEASE_COMMITTED: return NRH_V_LEASE_DOUBLE;
    case NRH_LEASE_SUPERSEDED: return NRH_V_LEASE_AFTER_ANSWER;
    default: break;
    }
    if (token != s->lease_token) return NRH_V_LEASE_BAD_TOKEN;
    if (len > s->lease->view_len) return NRH_V_LEASE_OVER_CAP;
    return 0;
}

static NrStatus nrh_commit(void *host_ctx, uint64_t sid, NrStatus status, uint64_t token, uint64_t len) {
    nrh_host *h = (nrh_host *)host_ctx;
    if (!h) return NR_STATUS_INVALID;
    uint64_t t_ns = nrh_now(), tid = nrh_tid();
    NrStatus result = NR_STATUS_INVALID;
    nrh_notify_fn notify = NULL;
    pthread_mutex_lock(&h->lock);
    nrh_session *s = h->shut ? NULL : nrh_find(h, sid);
    uint32_t kind = h->shut ? NRH_V_AFTER_SHUTDOWN : !s ? nrh_classify_commit(h, sid, token)
                  : nrh_commit_problem(s, token, len);
    if (s && kind == NRH_V_LEASE_AFTER_ANSWER && s->lease) { /* the commit ends the plugin's use of it */
        free(s->lease);
        s->lease = NULL;
    }
    if (kind) {
        nrh_violate(h, sid, kind, status, len, tid, t_ns);
    } else {
        nrh_frame *f = s->lease;
        s->lease = NULL;
        s->lease_state = NRH_LEASE_COMMITTED;
        f->len = len;
        f->status = status;
        f->tid = tid;
        f->t_ns = t_ns;
        nrh_lease_committed(h, f);
        if (status > NRH_MAX_STATUS) nrh_violate(h, sid, NRH_V_INVALID_STATUS, status, len, tid, t_ns);
        if (s->mode & NRH_MODE_NOTIFY) notify = h->notify;
        nrh_deliver(h, s, f, status);
        result = NR_STATUS_OK;
    }
    nrh_unlock(h);
    if (notify) notify(sid);
    return result;
}
#else
static void nrh_send_result(void *host_ctx, uint64_t sid, NrStatus status, NrBytes payload) {
    nrh_host *h = (nrh_host *)host_ctx;
    if (!h) return;
    (void)nrh_send(h, sid, status, payload.ptr, payload.len, NULL);
}

/* Lock held: the live session holding per-sid state, or NULL (recorded as a violation). */
static nrh_session *nrh_state_session(nrh_host *h, uint64_t sid, NrStr key) {
    uint64_t t_ns = nrh_now();
    if (key.ptr == NULL && key.len != 0) {
        nrh_violate(h, sid, NRH_V_STATE_BAD_ARG, 0, key.len, nrh_tid(), t_ns);
        return NULL;
    }
    nrh_session *s = h->shut ? NULL : nrh_find(h, sid);
    if (!s || s->terminated) {
        nrh_violate(h, sid, NRH_V_STATE_NO_SID, 0, key.len, nrh_tid(), t_ns);
        return NULL;
    }
    return s;
}

static nrh_kv *nrh_kv_find(nrh_session *s, NrStr key) {
    for (nrh_kv *kv = s->state; kv; kv = kv->next)
        if (kv->klen == key.len && (key.len == 0 || memcmp(kv->key, key.ptr, key.len) == 0)) return kv;
    return NULL;
}

static uint8_t *nrh_dup(const uint8_t *ptr, uint64_t len) {
    uint8_t *copy = (uint8_t *)malloc(len ? (size_t)len : 1);
    if (copy && len) memcpy(copy, ptr, (size_t)len);
    return copy;
}

static NrBytes nrh_set_state(void *host_ctx, uint64_t sid, NrStr key, NrBytes value) {
    NrBytes out = {NULL, 0};
    nrh_host *h = (nrh_host *)host_ctx;
    if (!h) return out;
    pthread_mutex_lock(&h->lock);
    nrh_session *s = nrh_state_session(h, sid, key);
    if (s && value.ptr == NULL && value.len != 0) {
        nrh_violate(h, sid, NRH_V_STATE_BAD_ARG, 0, value.len, nrh_tid(), nrh_now());
        s = NULL;
    }
    uint8_t *val = s ? nrh_dup(value.ptr, value.len) : NULL;
    nrh_kv *kv = val ? nrh_kv_find(s, key) : NULL;
    if (val && !kv) {
        kv = (nrh_kv *)calloc(1, sizeof(nrh_kv));
        uint8_t *k = kv ? nrh_dup(key.ptr, key.len) : NULL;
        if (!k) {
            free(kv);
            kv = NULL;
        } else {
            kv->key = k;
            kv->klen = key.len;
            kv->next = s->state;
            s->state = kv;
            h->state_entries++;
        }
    }
    if (kv) {
        free(kv->val);
        kv->val = val;
        kv->vlen = value.len;
        out.ptr = kv->val;
        out.len = kv->vlen;
    } else {
        free(val);
    }
    nrh_unlock(h);
    return out;
}

static NrBytes nrh_get_state(void *host_ctx, uint64_t sid, NrStr key) {
    NrBytes out = {NULL, 0};
    nrh_host *h = (nrh_host *)host_ctx;
    if (!h) return out;
    pthread_mutex_lock(&h->lock);
    nrh_session *s = nrh_state_session(h, sid, key);
    nrh_kv *kv = s ? nrh_kv_find(s, key) : NULL;
    if (kv) {
        out.ptr = kv->val;
        out.len = kv->vlen;
    }
    nrh_unlock(h);
    return out;
}

#endif /* NRH_ABI */

/* ------------------------------------------------------------------ Python API */

NRH_API nrh_host *nrh_host_new(int offer_state) {
    nrh_host *h = (nrh_host *)calloc(1, sizeof(nrh_host));
    if (!h) return NULL;
    h->violations = (nrh_violation *)calloc(NRH_MAX_VIOLATIONS, sizeof(nrh_violation));
    if (!h->violations) {
        free(h);
        return NULL;
    }
    pthread_mutex_init(&h->lock, NULL);
    pthread_condattr_init(&h->cond_attr);
#if defined(__linux__)
    pthread_condattr_setclock(&h->cond_attr, CLOCK_MONOTONIC);
#endif
    h->vtable.send_result = nrh_send_result;
#if NRH_ABI == 2
    (void)offer_state;
    h->vtable.send_result_owned = nrh_send_result_owned;
    h->vtable.acquire_result_buffer = nrh_acquire;
    h->vtable.commit_result_buffer = nrh_commit;
    h->lease_seq = (uint64_t)(uintptr_t)h;
#else
    h->ext.set_state = nrh_set_state;
    h->ext.get_state = nrh_get_state;
    h->seed_ext = offer_state ? &h->ext : NULL;
#endif
    h->first_sid = 1;
    return h;
}

/*
 * Make the next request's sid `next` (e.g. above 2**32 to catch plugins that
 * truncate sids). Sids are never reused, so it only moves forward; before the first
 * request it also moves where "never issued" starts.
 */
NRH_API void nrh_set_next_sid(nrh_host *h, uint64_t next) {
    pthread_mutex_lock(&h->lock);
    if (next > h->last_sid + 1) {
        if (h->last_sid + 1 == h->first_sid) h->first_sid = next;
        h->last_sid = next - 1;
    }
    nrh_unlock(h);
}

NRH_API const NrHostVTable *nrh_host_vtable(nrh_host *h) { return &h->vtable; }
#if NRH_ABI == 2
NRH_API const void *nrh_host_ext(nrh_host *h) { (void)h; return NULL; }
#else
NRH_API const NrHostExt *nrh_host_ext(nrh_host *h) { return &h->ext; }
#endif

/* Frames a stream may hold before send_result answers Backpressure (0: unbounded). */
NRH_API void nrh_set_stream_queue(nrh_host *h, uint64_t frames) {
    pthread_mutex_lock(&h->lock);
    h->stream_queue = frames;
    nrh_unlock(h);
}

/* Copy the validated plugin vtable: later calls go through the copy. */
NRH_API void nrh_bind(nrh_host *h, void *plugin_ctx, const NrPluginVTable *vt) {
    h->plugin_ctx = plugin_ctx;
    h->plugin = *vt;
}

NRH_API void nrh_set_notify(nrh_host *h, nrh_notify_fn fn) {
    pthread_mutex_lock(&h->lock);
    h->notify = fn;
    nrh_unlock(h);
}

NRH_API uint32_t nrh_init(nrh_host *h) {
#if NRH_ABI == 2
    return h->plugin.init(h, &h->vtable);
#else
    return h->plugin.init(h->plugin_ctx, h, &h->vtable);
#endif
}

/* Call the plugin's shutdown once; from then on every frame is a violation. */
NRH_API void nrh_shutdown(nrh_host *h) {
    nrh_release_held(h); /* release is plugin code: given back before shutdown, not after */
    pthread_mutex_lock(&h->lock);
    uint32_t first = !h->shutdown_called;
    h->shutdown_called = 1;
    nrh_unlock(h);
#if NRH_ABI == 2
    if (first && h->plugin.shutdown) h->plugin.shutdown();
#else
    if (first && h->plugin.shutdown) h->plugin.shutdown(h->plugin_ctx);
#endif
    pthread_mutex_lock(&h->lock);
    h->shut = 1;
    h->notify = NULL;
    for (uint32_t b = 0; b < NRH_BUCKETS; b++)
        for (nrh_session *s = h->buckets[b]; s; s = s->next)
            if (s->waiting) pthread_cond_broadcast(&s->cond);
    nrh_unlock(h);
}

/* Lock held: move the head frame into out (inline when small). */
static void nrh_pop(nrh_host *h, nrh_session *s, nrh_out *out) {
    nrh_frame *f = s->head;
    s->head = f->next;
    if (!s->head) s->tail = NULL;
    s->queued--;
    nrh_discard(h, (nrh_frame *)out->held);
    out->held = NULL;
    out->path = f->path;
    const uint8_t *bytes = f->path == NRH_PATH_OWNED ? f->view : f->data;
    out->len = f->len;
    out->tid = f->tid;
    out->t_ns = f->t_ns;
    out->seq = f->seq;
    out->status = f->status;
    out->terminal = f->terminal;
    if (f->len <= NRH_INLINE) {
        if (f->len) memcpy(out->inline_buf, bytes, (size_t)f->len);
        out->data = out->inline_buf;
        nrh_discard(h, f);
    } else {
        out->data = bytes;
        out->held = f;
    }
}

/* Lock held: pop one frame and retire the session once its terminal frame is out. */
static uint32_t nrh_take(nrh_host *h, nrh_session *s, nrh_out *out) {
    nrh_pop(h, s, out);
    if (out->terminal && !s->head) nrh_retire(h, s, NRH_TOMB_COMPLETED);
    out->code = NRH_FRAME;
    return NRH_FRAME;
}

/*
 * A new session for the next sid (sessions are recycled); NULL with *code set when
 * the host is shut down (NRH_CLOSED) or out of memory (NRH_GONE).
 */
static nrh_session *nrh_open(nrh_host *h, uint32_t mode, nrh_out *out, uint64_t *sid_out, uint32_t *code) {
    pthread_mutex_lock(&h->lock);
    nrh_session *s = h->spare;
    if (s) {
        h->spare = s->next;
        h->spare_count--;
    } else {
        nrh_unlock(h);
        s = (nrh_session *)malloc(sizeof(nrh_session));
        if (!s) {
            *code = NRH_GONE;
            return NULL;
        }
        pthread_cond_init(&s->cond, &h->cond_attr);
        pthread_mutex_lock(&h->lock);
    }
    if (h->shutdown_called) {
        s->next = h->spare;
        h->spare = s;
        h->spare_count++;
        nrh_unlock(h);
        *code = NRH_CLOSED;
        return NULL;
    }
    memset(s, 0, offsetof(nrh_session, cond));
    s->mode = mode;
    s->in_handle = 1;
    s->direct_out = out;
    s->sid = ++h->last_sid;
    nrh_session **bucket = &h->buckets[s->sid & (NRH_BUCKETS - 1)];
    s->next = *bucket;
    *bucket = s;
    h->live_sessions++;
    nrh_unlock(h);
    *sid_out = s->sid;
    return s;
}

/* Lock held: handle returned non-Ok; frames it sent anyway are violations. */
static void nrh_reject(nrh_host *h, nrh_session *s) {
    for (nrh_frame *f = s->head; f; f = f->next)
        nrh_violate(h, s->sid, NRH_V_REJECTED_SID, f->status, f->len, f->tid, f->t_ns);
    nrh_retire(h, s, NRH_TOMB_REJECTED);
}

/* What nrh_run calls: handle (with req on ABI 1), handle_raw (ABI 1) or handle_by_id (ABI 2). */
enum { NRH_CALL_HANDLE = 0, NRH_CALL_RAW = 1, NRH_CALL_BY_ID = 2 };

static int nrh_has_slot(const nrh_host *h, uint32_t kind) {
#if NRH_ABI == 2
    return kind == NRH_CALL_BY_ID ? h->plugin.handle_by_id != NULL : h->plugin.handle != NULL;
#else
    return kind == NRH_CALL_RAW ? h->plugin.handle_raw != NULL : h->plugin.handle != NULL;
#endif
}

static NrStatus nrh_invoke(nrh_host *h, uint32_t kind, uint32_t id, NrStr e, uint64_t sid, const void *req,
                           NrBytes p) {
#if NRH_ABI == 2
    (void)req;
    return kind == NRH_CALL_BY_ID ? h->plugin.handle_by_id(id, sid, p) : h->plugin.handle(e, sid, p);
#else
    (void)id;
    return kind == NRH_CALL_RAW ? h->plugin.handle_raw(h->plugin_ctx, e, sid, p)
                                : h->plugin.handle(h->plugin_ctx, e, sid, (const NrRequest *)req, p);
#endif
}

/*
 * Start a request and settle what handle left behind. Returns NRH_FRAME when a
 * frame already arrived (the synchronous fast path), NRH_PENDING, NRH_REJECTED
 * or NRH_NO_SLOT.
 */
static const char *const nrh_call_names[] = {"handle", "handle_raw", "handle_by_id"};

static uint32_t nrh_run(nrh_host *h, uint32_t kind, uint32_t id, uint32_t mode, NrStr e, const void *req,
                        NrBytes p, nrh_out *out, nrh_inputs *in) {
    if (!nrh_has_slot(h, kind)) {
        nrh_inputs_discard(in);
        return out->code = NRH_NO_SLOT;
    }
    uint64_t sid;
    uint32_t code = NRH_PENDING;
    nrh_session *s = nrh_open(h, mode, out, &sid, &code);
    if (!s) {
        nrh_inputs_discard(in);
        return out->code = code;
    }
    nrh_inputs_begin(in, sid, NRH_ABI == 2 && kind == NRH_CALL_RAW ? "handle" : nrh_call_names[kind], e.ptr, e.len);
    uint64_t t0 = nrh_now();
    NrStatus st = nrh_invoke(h, kind, id, e, sid, req, p);
    out->handle_ns = nrh_now() - t0;
    nrh_inputs_end(h, in); /* borrowed views end with the call */
    out->sid = sid;
    out->handle_status = st;
    pthread_mutex_lock(&h->lock);
    s->in_handle = 0;
    s->direct_out = NULL;
    if (st > NRH_MAX_STATUS) nrh_violate(h, sid, NRH_V_HANDLE_STATUS, st, 0, nrh_tid(), nrh_now());
    if (st != NR_STATUS_OK) {
        if (s->direct_frame)
            nrh_violate(h, sid, NRH_V_REJECTED_SID, out->status, out->len, out->tid, out->t_ns);
        nrh_reject(h, s);
        code = NRH_REJECTED;
    } else if (s->direct_frame) {
        if (out->terminal && !s->head) nrh_retire(h, s, NRH_TOMB_COMPLETED);
        code = NRH_FRAME;
    } else if (s->head) {
        code = nrh_take(h, s, out);
    }
    nrh_unlock(h);
    return out->code = code;
}

/*
 * Start a request by name: raw != 0 uses handle_raw (req ignored), else handle
 * with req (which may be NULL on purpose). ABI 2 has one handle and no request:
 * raw and req are ignored.
 */
NRH_API uint32_t nrh_call(nrh_host *h, uint32_t raw, uint32_t mode, const uint8_t *entry, uint32_t entry_len,
                          const void *req, const uint8_t *payload, uint64_t payload_len, nrh_out *out) {
    nrh_inputs in = {NULL};
    if (h->hostile) {
        entry = nrh_guard_copy(&in, entry, entry_len, NRH_IN_ENTRY);
        payload = nrh_guard_copy(&in, payload, payload_len, NRH_IN_PAYLOAD);
#if NRH_ABI == 1
        if (req && !raw) req = nrh_guard_request(&in, (const NrRequest *)req);
#endif
    }
    NrStr e = {0};
    e.ptr = entry;
    e.len = entry_len;
    NrBytes p = {payload, payload_len};
    return nrh_run(h, raw ? NRH_CALL_RAW : NRH_CALL_HANDLE, 0, mode, e, req, p, out, &in);
}

/* Start a request by entry id (ABI 2's handle_by_id; NRH_NO_SLOT elsewhere). */
NRH_API uint32_t nrh_call_id(nrh_host *h, uint32_t mode, uint32_t id, const uint8_t *payload, uint64_t payload_len,
                             nrh_out *out) {
    NrStr e = {0};
#if NRH_ABI == 2
    nrh_inputs in = {NULL};
    if (h->hostile) payload = nrh_guard_copy(&in, payload, payload_len, NRH_IN_PAYLOAD);
    NrBytes p = {payload, payload_len};
    return nrh_run(h, NRH_CALL_BY_ID, id, mode, e, NULL, p, out, &in);
#else
    NrBytes p = {payload, payload_len};
    (void)h; (void)id; (void)e; (void)p; (void)mode;
    return out->code = NRH_NO_SLOT;
#endif
}

/* The plugin's resolve_entry (ABI 2); NR_ENTRY_UNKNOWN's value when there is none. */
NRH_API uint32_t nrh_resolve(nrh_host *h, const uint8_t *entry, uint32_t entry_len) {
#if NRH_ABI == 2
    if (!h->plugin.resolve_entry) return 0xFFFFFFFFu;
    nrh_inputs in = {NULL};
    if (h->hostile) {
        entry = nrh_guard_copy(&in, entry, entry_len, NRH_IN_ENTRY);
        nrh_inputs_begin(&in, 0, "resolve_entry", entry, entry_len);
    }
    NrStr e = {0};
    e.ptr = entry;
    e.len = entry_len;
    uint32_t id = h->plugin.resolve_entry(e);
    nrh_inputs_end(h, &in);
    return id;
#else
    (void)h; (void)entry; (void)entry_len;
    return 0xFFFFFFFFu;
#endif
}

/* Absolute deadline in the clock the session condition variables wait on. */
static void nrh_deadline(struct timespec *ts, uint64_t timeout_ns) {
#if defined(__linux__)
    clock_gettime(CLOCK_MONOTONIC, ts);
#else
    clock_gettime(CLOCK_REALTIME, ts);
#endif
    uint64_t ns = (uint64_t)ts->tv_nsec + timeout_ns % 1000000000ull;
    ts->tv_sec += (time_t)(timeout_ns / 1000000000ull + ns / 1000000000ull);
    ts->tv_nsec = (long)(ns % 1000000000ull);
}

/* Wait up to timeout_ns for the next frame of sid. */
NRH_API uint32_t nrh_next(nrh_host *h, uint64_t sid, uint64_t timeout_ns, nrh_out *out) {
    struct timespec deadline;
    int deadline_set = 0;
    uint32_t code = NRH_TIMEOUT;
    out->sid = sid;
    pthread_mutex_lock(&h->lock);
    nrh_session *s = nrh_find(h, sid);
    while (s && !s->head && !h->shut && timeout_ns) {
        if (!deadline_set) {
            nrh_deadline(&deadline, timeout_ns);
            deadline_set = 1;
        }
        s->waiting++;
        int rc = pthread_cond_timedwait(&s->cond, &h->lock, &deadline);
        s->waiting--;
        if (s->retired) { /* retired while we slept: it is no longer sid's session */
            if (!s->waiting) nrh_recycle(h, s);
            s = NULL;
            break;
        }
        if (rc == ETIMEDOUT) break;
    }
    if (!s) code = NRH_GONE;
    else if (s->head) code = nrh_take(h, s, out);
    else if (h->shut) code = NRH_CLOSED;
    nrh_unlock(h);
    return out->code = code;
}

/*
 * The consumer of sid is gone (timeout, abandoned iterator): keep tracking the
 * protocol on it, but stop storing payloads. Its state stays until its terminal
 * frame, because the plugin may still be working with it.
 */
NRH_API void nrh_detach(nrh_host *h, uint64_t sid) {
    pthread_mutex_lock(&h->lock);
    nrh_session *s = nrh_find(h, sid);
    if (s && !s->in_handle) {
        nrh_free_frames(h, s);
        if (s->terminated) nrh_retire(h, s, NRH_TOMB_COMPLETED);
        else s->detached = 1;
    }
    nrh_unlock(h);
}

/* Drop the per-sid state of a live sid now (it is dropped anyway when the sid completes). */
NRH_API void nrh_drop_sid_state(nrh_host *h, uint64_t sid) {
    pthread_mutex_lock(&h->lock);
    nrh_session *s = nrh_find(h, sid);
    if (s) nrh_drop_state(h, s);
    nrh_unlock(h);
}

NRH_API uint32_t nrh_stream_data(nrh_host *h, uint64_t sid, const uint8_t *data, uint64_t len) {
    if (!h->plugin.stream_data) return 0xFFFFFFFFu;
    nrh_inputs in = {NULL};
    if (h->hostile) {
        data = nrh_guard_copy(&in, data, len, NRH_IN_DATA);
        nrh_inputs_begin(&in, sid, "stream_data", NULL, 0);
    }
    NrBytes b = {data, len};
#if NRH_ABI == 2
    uint32_t status = h->plugin.stream_data(sid, b);
#else
    uint32_t status = h->plugin.stream_data(h->plugin_ctx, sid, b);
#endif
    nrh_inputs_end(h, &in);
    return status;
}

NRH_API uint32_t nrh_stream_close(nrh_host *h, uint64_t sid) {
    if (!h->plugin.stream_close) return 0xFFFFFFFFu;
#if NRH_ABI == 2
    return h->plugin.stream_close(sid);
#else
    return h->plugin.stream_close(h->plugin_ctx, sid);
#endif
}

/* Free the large frame an out buffer still points into. */
NRH_API void nrh_out_release(nrh_out *out) {
    nrh_discard_now((nrh_frame *)out->held);
    out->held = NULL;
}

NRH_API uint64_t nrh_out_size(void) { return sizeof(nrh_out); }
NRH_API uint64_t nrh_out_inline_offset(void) { return offsetof(nrh_out, inline_buf); }
NRH_API uint64_t nrh_violation_size(void) { return sizeof(nrh_violation); }
NRH_API uint64_t nrh_host_ctx_size(void) { return sizeof(nrh_host); }

/* ------------------------------------------------------------------ Python results
 *
 * Building the result tuple here, with a few functions of CPython's stable ABI,
 * makes a synchronous raw call a single foreign call: in Python, unpacking the
 * out buffer and creating the Response would cost more than the call itself.
 * These functions are called through ctypes.PyDLL (the GIL is held on entry);
 * the GIL is released around every call into the plugin. The declarations are
 * the stable ABI's own, so no Python headers are needed to build the helper.
 */
typedef struct _object PyObject;
typedef struct _typeobject PyTypeObject;
typedef struct _ts PyThreadState;
typedef intptr_t Py_ssize_t;
typedef PyObject *(*nrh_allocfunc)(PyTypeObject *, Py_ssize_t);
extern PyThreadState *PyEval_SaveThread(void);
extern void PyEval_RestoreThread(PyThreadState *);
extern PyObject *PyBytes_FromStringAndSize(const char *, Py_ssize_t);
extern PyObject *PyLong_FromUnsignedLongLong(unsigned long long);
extern int PyTuple_SetItem(PyObject *, Py_ssize_t, PyObject *);
extern PyObject *PyTuple_GetItem(PyObject *, Py_ssize_t);
extern PyObject *PyTuple_New(Py_ssize_t);
extern void *PyType_GetSlot(PyTypeObject *, int);
extern void Py_IncRef(PyObject *);
extern void Py_DecRef(PyObject *);
#define NRH_PY_TP_ALLOC 47 /* Py_tp_alloc */

static struct {
    PyObject *response_type, *frame_type, *statuses, *yes, *no, *paths;
    nrh_allocfunc alloc_response, alloc_frame;
} nrh_py;

/* Remember the Python types and constants results are built from (references kept forever). */
NRH_API void nrh_py_setup(PyObject *response_type, PyObject *frame_type, PyObject *statuses, PyObject *yes,
                          PyObject *no, PyObject *paths) {
    PyObject *all[] = {response_type, frame_type, statuses, yes, no, paths};
    for (int i = 0; i < 6; i++) Py_IncRef(all[i]);
    nrh_py.paths = paths;
    nrh_py.response_type = response_type;
    nrh_py.frame_type = frame_type;
    nrh_py.statuses = statuses;
    nrh_py.yes = yes;
    nrh_py.no = no;
    nrh_py.alloc_response = (nrh_allocfunc)PyType_GetSlot((PyTypeObject *)response_type, NRH_PY_TP_ALLOC);
    nrh_py.alloc_frame = (nrh_allocfunc)PyType_GetSlot((PyTypeObject *)frame_type, NRH_PY_TP_ALLOC);
}

static PyObject *nrh_py_status(uint32_t status) {
    if (status <= NRH_MAX_STATUS) {
        PyObject *member = PyTuple_GetItem(nrh_py.statuses, (Py_ssize_t)status);
        if (member) Py_IncRef(member);
        return member;
    }
    return PyLong_FromUnsignedLongLong(status);
}

/* The popped frame's payload as bytes; a large frame is freed once copied. */
static PyObject *nrh_py_data(nrh_out *out) {
    PyObject *data = PyBytes_FromStringAndSize((const char *)out->data, (Py_ssize_t)out->len);
    nrh_discard_now((nrh_frame *)out->held); /* an owned frame is checked and released here */
    out->held = NULL;
    out->data = out->inline_buf;
    return data;
}

/* A tuple (alloc NULL) or an instance of a tuple subclass (Response, Frame) holding items (references stolen). */
static PyObject *nrh_py_tuple(PyObject *type, nrh_allocfunc alloc, PyObject **items, int n) {
    int ok = 1;
    for (int i = 0; i < n; i++) ok = ok && items[i];
    PyObject *obj = !ok ? NULL : alloc ? alloc((PyTypeObject *)type, n) : PyTuple_New(n);
    for (int i = 0; i < n; i++) {
        if (obj) PyTuple_SetItem(obj, i, items[i]);
        else if (items[i]) Py_DecRef(items[i]);
    }
    return obj;
}

/* The path name ("copy", "owned", "lease") of the popped frame. */
static PyObject *nrh_py_path(nrh_out *out) {
    PyObject *name = PyTuple_GetItem(nrh_py.paths, (Py_ssize_t)(out->path <= NRH_PATH_LEASE ? out->path : 0));
    if (name) Py_IncRef(name);
    return name;
}

/* Response(status, data, sid, handle_status=Ok, handle_ns, thread_id, time_ns, seq, path). */
NRH_API PyObject *nrh_py_response(nrh_out *out) {
    PyObject *path = nrh_py_path(out); /* before nrh_py_data: it may release the frame */
    PyObject *items[9] = {
        nrh_py_status(out->status), nrh_py_data(out), PyLong_FromUnsignedLongLong(out->sid),
        nrh_py_status(NR_STATUS_OK), PyLong_FromUnsignedLongLong(out->handle_ns),
        PyLong_FromUnsignedLongLong(out->tid), PyLong_FromUnsignedLongLong(out->t_ns),
        PyLong_FromUnsignedLongLong(out->seq), path,
    };
    return nrh_py_tuple(nrh_py.response_type, nrh_py.alloc_response, items, 9);
}

/* Frame(status, data, thread_id, time_ns, seq, terminal, path). */
NRH_API PyObject *nrh_py_frame(nrh_out *out) {
    PyObject *flag = out->terminal ? nrh_py.yes : nrh_py.no;
    Py_IncRef(flag);
    PyObject *path = nrh_py_path(out);
    PyObject *items[7] = {
        nrh_py_status(out->status), nrh_py_data(out), PyLong_FromUnsignedLongLong(out->tid),
        PyLong_FromUnsignedLongLong(out->t_ns), PyLong_FromUnsignedLongLong(out->seq), flag, path,
    };
    return nrh_py_tuple(nrh_py.frame_type, nrh_py.alloc_frame, items, 7);
}

/* The result buffer of the raw fast path: one per OS thread, so Python passes none. */
static _Thread_local nrh_out nrh_thread_out;

/*
 * The raw unary fast path: handle_raw with the GIL released, then the Response
 * when the answer came synchronously; otherwise the tuple (code, sid,
 * handle_status, handle_ns) and Python takes the slow path. Plain C ints and
 * pointers only (the host as a ctypes c_void_p), so ctypes converts no arguments.
 */
NRH_API PyObject *nrh_py_call_raw(nrh_host *h, const uint8_t *entry, int entry_len, const uint8_t *payload,
                                  int payload_len) {
    nrh_out *out = &nrh_thread_out;
    PyThreadState *ts = PyEval_SaveThread();
    uint32_t code = nrh_call(h, 1, NRH_MODE_UNARY, entry, (uint32_t)entry_len, NULL, payload,
                             (uint64_t)payload_len, out);
    PyEval_RestoreThread(ts);
    if (code == NRH_FRAME) return nrh_py_response(out);
    PyObject *items[4] = {
        PyLong_FromUnsignedLongLong(code), PyLong_FromUnsignedLongLong(out->sid),
        PyLong_FromUnsignedLongLong(out->handle_status), PyLong_FromUnsignedLongLong(out->handle_ns),
    };
    return nrh_py_tuple(NULL, NULL, items, 4);
}

/* Move up to max recorded violations into buf (oldest first); returns how many. */
NRH_API uint64_t nrh_take_violations(nrh_host *h, nrh_violation *buf, uint64_t max) {
    pthread_mutex_lock(&h->lock);
    uint64_t n = h->violation_count < max ? h->violation_count : max;
    memcpy(buf, h->violations, (size_t)n * sizeof(nrh_violation));
    memmove(h->violations, h->violations + n, (size_t)(h->violation_count - n) * sizeof(nrh_violation));
    h->violation_count -= n;
    nrh_unlock(h);
    return n;
}

/* Counters for tests and diagnostics: live sessions, state entries, dropped violations. */
NRH_API void nrh_stats(nrh_host *h, uint64_t *live, uint64_t *state, uint64_t *dropped) {
    pthread_mutex_lock(&h->lock);
    *live = h->live_sessions;
    *state = h->state_entries;
    *dropped = h->violations_dropped;
    nrh_unlock(h);
}

/* More counters: Backpressure answers, owned buffers released, leases parked after another answer. */
NRH_API void nrh_counters(nrh_host *h, uint64_t *backpressured, uint64_t *released, uint64_t *orphans) {
    pthread_mutex_lock(&h->lock);
    *backpressured = h->backpressured;
    *released = __atomic_load_n(&h->released, __ATOMIC_RELAXED);
    uint64_t n = 0;
    for (nrh_frame *f = h->orphans; f; f = f->next) n++;
    *orphans = n;
    nrh_unlock(h);
}

/*
 * nrh_hostile: the hostile-but-legal host (included by nrh_shim.c, which defines the
 * host, the frames and nrh_violate before including it).
 *
 * Why: a kind host hands a plugin NUL-terminated, writable buffers that stay intact
 * until the answer is in, so strcmp/strlen on a view, a fixed-size memcpy past its
 * end, an in-place edit of const input and a read after handle returned all go unseen.
 * Everything here is still legal by the ABI: views are exactly as long as they say,
 * borrowed input is valid during the call only, and the host may release owned
 * answers whenever it likes.
 *
 * - Each input (entry name, payload, request strings, stream_data payload, a name for
 *   resolve_entry) gets a fresh mapping of its own: its bytes end exactly where a
 *   PROT_NONE guard page begins (no NUL), and its pages are read-only while the plugin
 *   is inside the call. An empty view points at the guard page itself.
 * - When the call returns, the bytes are filled with NRH_POISON and kept in a quarantine
 *   for a while: an answer built from them afterwards carries the pattern, and a buffer
 *   whose pattern changed by the time it is checked was written by the plugin
 *   (NRH_V_INPUT_WRITTEN).
 * - A SIGSEGV/SIGBUS inside one of these mappings is named on stderr ("SIGSEGV: the
 *   plugin read past the end of ...") before the process dies as it would have.
 * - ABI 2: owned answers are held unreleased for a while (their hash is checked when the
 *   host reads them and again at release); fresh leases are filled with the pattern (bytes
 *   committed but never written show), and consumed ones are poisoned and checked like
 *   inputs (NRH_V_LEASE_CHANGED).
 */
#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define NRH_POISON "NRPOISON"
/* Poisoned buffers kept before the oldest is checked and unmapped. */
#define NRH_QUARANTINE_COUNT 4096u
#define NRH_QUARANTINE_BYTES (64ull << 20)
/* Owned answers held unreleased before the oldest is given back. */
#define NRH_HELD_OWNED 16u
/* Buffers the fault handler can name at once (more are guarded, just not named). */
#define NRH_FAULT_SLOTS 8192u
/* Request strings with a guard page each; the rest of a request's strings share one buffer. */
#define NRH_GUARDED_STRINGS 64u

/* What a guarded buffer holds (also the `status` of its violations). */
enum { NRH_IN_ENTRY = 1, NRH_IN_PAYLOAD = 2, NRH_IN_REQUEST = 3, NRH_IN_DATA = 4, NRH_IN_LEASE = 5 };

/* A buffer the plugin was given: guarded input (map) or a consumed lease (frame). */
typedef struct nrh_poisoned {
    struct nrh_poisoned *next;
    uint8_t *bytes;
    uint64_t len, sid;
    uint32_t what, slot, reported;
    uint8_t *map;
    size_t map_len, data_len; /* data_len: the pages before the guard */
    nrh_frame *frame;
} nrh_poisoned;

struct nrh_hostile {
    nrh_poisoned *head, *tail;
    uint64_t count, bytes;
    nrh_frame *held; /* owned answers not released yet, newest first */
    uint32_t held_count;
};

/* The inputs of one call, from their copy to their quarantine. */
typedef struct {
    nrh_poisoned *list;
} nrh_inputs;

/* ------------------------------------------------------------------ the pattern */

static uint8_t nrh_pattern[4096];

static void nrh_pattern_init(void) {
    for (size_t i = 0; i < sizeof nrh_pattern; i++) nrh_pattern[i] = (uint8_t)NRH_POISON[i & 7];
}

/* Fill with the pattern from the buffer's first byte, so a poisoned n-byte view reads as
 * the pattern's first n bytes. */
static void nrh_poison_fill(uint8_t *bytes, uint64_t len) {
    for (uint64_t at = 0; at < len; at += sizeof nrh_pattern) {
        uint64_t n = len - at < sizeof nrh_pattern ? len - at : sizeof nrh_pattern;
        memcpy(bytes + at, nrh_pattern, (size_t)n);
    }
}

static int nrh_poison_intact(const uint8_t *bytes, uint64_t len) {
    for (uint64_t at = 0; at < len; at += sizeof nrh_pattern) {
        uint64_t n = len - at < sizeof nrh_pattern ? len - at : sizeof nrh_pattern;
        if (memcmp(bytes + at, nrh_pattern, (size_t)n) != 0) return 0;
    }
    return 1;
}

/* ------------------------------------------------------------------ naming a fault */

typedef struct {
    _Atomic uintptr_t start; /* 0: free, 1: being filled */
    uintptr_t end, data, data_end;
    uint64_t sid, len;
    uint32_t what, returned;
    const char *call;
    char name[44];
    uint32_t name_len;
} nrh_fault_slot;

static nrh_fault_slot nrh_faults[NRH_FAULT_SLOTS];
static struct sigaction nrh_old_segv, nrh_old_bus;

static const char *nrh_what_name(uint32_t what) {
    switch (what) {
    case NRH_IN_ENTRY: return "entry name";
    case NRH_IN_PAYLOAD: return "payload";
    case NRH_IN_REQUEST: return "request string";
    case NRH_IN_DATA: return "stream_data payload";
    default: return "lease";
    }
}

/* Async-signal-safe text building for the fault message. */
typedef struct {
    char buf[512];
    size_t len;
} nrh_msg;

static void nrh_put(nrh_msg *m, const char *s) {
    while (*s && m->len < sizeof m->buf - 1) m->buf[m->len++] = *s++;
}

static void nrh_put_u64(nrh_msg *m, uint64_t v) {
    char rev[24];
    int n = 0;
    do { rev[n++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (n && m->len < sizeof m->buf - 1) m->buf[m->len++] = rev[--n];
}

/* Whether the faulting access was a write (x86-64 Linux says so; elsewhere unknown: -1). */
static int nrh_fault_is_write(void *uc) {
#if defined(__linux__) && defined(__x86_64__)
    return (((ucontext_t *)uc)->uc_mcontext.gregs[REG_ERR] & 2) != 0;
#else
    (void)uc;
    return -1;
#endif
}

static void nrh_describe_fault(int sig, const siginfo_t *info, void *uc) {
    uintptr_t addr = (uintptr_t)info->si_addr;
    for (uint32_t i = 0; i < NRH_FAULT_SLOTS; i++) {
        nrh_fault_slot *s = &nrh_faults[i];
        uintptr_t start = __atomic_load_n(&s->start, __ATOMIC_ACQUIRE);
        if (start <= 1 || addr < start || addr >= s->end) continue;
        int wrote = nrh_fault_is_write(uc);
        int past = addr >= s->data_end;
        nrh_msg m = {{0}, 0};
        nrh_put(&m, sig == SIGBUS ? "SIGBUS: the plugin " : "SIGSEGV: the plugin ");
        nrh_put(&m, past ? (wrote == 1 ? "wrote past the end of " : "read past the end of ")
                         : (wrote == 0 ? "read " : "wrote into "));
        nrh_put(&m, past ? "the " : "the read-only ");
        nrh_put_u64(&m, s->len);
        nrh_put(&m, "-byte ");
        nrh_put(&m, nrh_what_name(s->what));
        nrh_put(&m, " of ");
        nrh_put(&m, s->call);
        nrh_put(&m, "(");
        if (s->name_len) {
            nrh_put(&m, "'");
            s->name[sizeof s->name - 1] = 0;
            nrh_put(&m, s->name);
            nrh_put(&m, "', ");
        }
        nrh_put(&m, "sid ");
        nrh_put_u64(&m, s->sid);
        nrh_put(&m, ")");
        if (s->returned) nrh_put(&m, " after the call had returned (borrowed views end with the call)");
        else if (past) nrh_put(&m, " (views are exactly len bytes, with no NUL after them)");
        else nrh_put(&m, " (borrowed input is const)");
        nrh_put(&m, "\n");
        ssize_t ignored = write(2, m.buf, m.len);
        (void)ignored;
        return;
    }
}

/* Name the fault if it is in a guarded buffer, then let the previous disposition have it
 * (returning runs the faulting instruction again). */
static void nrh_on_fault(int sig, siginfo_t *info, void *uc) {
    nrh_describe_fault(sig, info, uc);
    sigaction(sig, sig == SIGBUS ? &nrh_old_bus : &nrh_old_segv, NULL);
}

static pthread_once_t nrh_hostile_once = PTHREAD_ONCE_INIT;

static void nrh_hostile_setup(void) {
    nrh_pattern_init();
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = nrh_on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &nrh_old_segv);
    sigaction(SIGBUS, &sa, &nrh_old_bus);
}

/* Where the search for a free slot starts: slots are freed in about the order they were
 * taken (the quarantine is a FIFO), so the next free one is usually right there. */
static uint32_t nrh_fault_next;

static void nrh_fault_register(nrh_poisoned *p, const char *call, const uint8_t *name, uint32_t name_len) {
    uint32_t first = __atomic_fetch_add(&nrh_fault_next, 1, __ATOMIC_RELAXED);
    for (uint32_t k = 0; k < NRH_FAULT_SLOTS; k++) {
        uint32_t i = (first + k) % NRH_FAULT_SLOTS;
        uintptr_t free_slot = 0;
        nrh_fault_slot *s = &nrh_faults[i];
        if (!__atomic_compare_exchange_n(&s->start, &free_slot, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) continue;
        s->end = (uintptr_t)(p->map + p->map_len);
        s->data = (uintptr_t)p->bytes;
        s->data_end = (uintptr_t)(p->bytes + p->len);
        s->sid = p->sid;
        s->len = p->len;
        s->what = p->what;
        s->returned = 0;
        s->call = call;
        uint32_t n = name_len < sizeof s->name - 1 ? name_len : (uint32_t)sizeof s->name - 1;
        for (uint32_t k = 0; k < n; k++) {
            uint8_t c = name ? name[k] : '?';
            s->name[k] = (char)(c >= 0x20 && c < 0x7f && c != '\'' ? c : '?');
        }
        s->name[n] = 0;
        s->name_len = n;
        __atomic_store_n(&s->start, (uintptr_t)p->map, __ATOMIC_RELEASE);
        __atomic_store_n(&nrh_fault_next, i + 1, __ATOMIC_RELAXED);
        p->slot = i + 1;
        return;
    }
}

static void nrh_fault_unregister(nrh_poisoned *p) {
    if (p->slot) __atomic_store_n(&nrh_faults[p->slot - 1].start, 0, __ATOMIC_RELEASE);
    p->slot = 0;
}

/* ------------------------------------------------------------------ guarded inputs */

static size_t nrh_page(void) {
    static size_t page;
    if (!page) page = (size_t)sysconf(_SC_PAGESIZE);
    return page;
}

/*
 * Mappings of small buffers dropped from the quarantine, by data pages, for reuse: a
 * fresh mmap, guard and munmap cost more than the rest of a call. The bytes are copied
 * afresh each call; the guard page stays PROT_NONE and the data pages writable.
 */
#define NRH_POOL_PAGES 16u
#define NRH_POOL_EACH 64u
static struct {
    pthread_mutex_t lock;
    uint8_t *maps[NRH_POOL_PAGES + 1][NRH_POOL_EACH];
    uint32_t count[NRH_POOL_PAGES + 1];
} nrh_pool = {PTHREAD_MUTEX_INITIALIZER, {{0}}, {0}};

static uint8_t *nrh_pool_take(size_t pages) {
    uint8_t *map = NULL;
    if (pages > NRH_POOL_PAGES) return NULL;
    pthread_mutex_lock(&nrh_pool.lock);
    if (nrh_pool.count[pages]) map = nrh_pool.maps[pages][--nrh_pool.count[pages]];
    pthread_mutex_unlock(&nrh_pool.lock);
    return map;
}

/* 0 when the pool is full (the caller unmaps). */
static int nrh_pool_give(uint8_t *map, size_t pages) {
    int kept = 0;
    if (pages > NRH_POOL_PAGES) return 0;
    pthread_mutex_lock(&nrh_pool.lock);
    if (nrh_pool.count[pages] < NRH_POOL_EACH) {
        nrh_pool.maps[pages][nrh_pool.count[pages]++] = map;
        kept = 1;
    }
    pthread_mutex_unlock(&nrh_pool.lock);
    return kept;
}

/* A writable buffer of exactly len bytes ending at a guard page; NULL when it cannot be mapped. */
static nrh_poisoned *nrh_guard_new(uint64_t len, uint32_t what) {
    size_t page = nrh_page();
    size_t data_len = (size_t)((len + page - 1) / page * page);
    nrh_poisoned *p = (nrh_poisoned *)calloc(1, sizeof *p);
    if (!p) return NULL;
    uint8_t *map = nrh_pool_take(data_len / page);
    if (!map) {
        map = (uint8_t *)mmap(NULL, data_len + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (map == MAP_FAILED) {
            free(p);
            return NULL;
        }
        if (mprotect(map + data_len, page, PROT_NONE) != 0) {
            munmap(map, data_len + page);
            free(p);
            return NULL;
        }
    }
    p->map = map;
    p->map_len = data_len + page;
    p->data_len = data_len;
    p->bytes = map + data_len - len;
    p->len = len;
    p->what = what;
    return p;
}

static void nrh_inputs_add(nrh_inputs *in, nrh_poisoned *p) {
    if (p->data_len) mprotect(p->map, p->data_len, PROT_READ);
    p->next = in->list;
    in->list = p;
}

/* The plugin's copy of ptr..ptr+len in a guarded buffer (ptr itself when none can be
 * mapped; NULL stays NULL: a NULL view is a probe of its own). */
static const uint8_t *nrh_guard_copy(nrh_inputs *in, const uint8_t *ptr, uint64_t len, uint32_t what) {
    if (!ptr) return NULL;
    nrh_poisoned *p = nrh_guard_new(len, what);
    if (!p) return ptr;
    if (len) memcpy(p->bytes, ptr, (size_t)len);
    nrh_inputs_add(in, p);
    return p->bytes;
}

/* Give the call's inputs their sid and name, so a fault in them can be named. */
static void nrh_inputs_begin(nrh_inputs *in, uint64_t sid, const char *call, const uint8_t *name, uint32_t name_len) {
    for (nrh_poisoned *p = in->list; p; p = p->next) {
        p->sid = sid;
        nrh_fault_register(p, call, name, name_len);
    }
}

static void nrh_poisoned_free(nrh_poisoned *p) {
    nrh_fault_unregister(p);
    if (p->map && !nrh_pool_give(p->map, p->data_len / nrh_page())) munmap(p->map, p->map_len);
    free(p->frame);
    free(p);
}

/* The call never reached the plugin: drop its inputs. */
static void nrh_inputs_discard(nrh_inputs *in) {
    while (in->list) {
        nrh_poisoned *next = in->list->next;
        if (in->list->data_len) mprotect(in->list->map, in->list->data_len, PROT_READ | PROT_WRITE); /* pooled next */
        nrh_poisoned_free(in->list);
        in->list = next;
    }
}

/* Lock held: record a poisoned buffer whose pattern changed (once). */
static void nrh_poisoned_check(nrh_host *h, nrh_poisoned *p) {
    if (p->reported || nrh_poison_intact(p->bytes, p->len)) return;
    p->reported = 1;
    nrh_violate(h, p->sid, p->what == NRH_IN_LEASE ? NRH_V_LEASE_CHANGED : NRH_V_INPUT_WRITTEN, p->what, p->len,
                nrh_tid(), nrh_now());
}

/* Lock held: keep a poisoned buffer a while; the oldest ones are checked and dropped. */
static void nrh_quarantine(nrh_host *h, nrh_poisoned *p) {
    struct nrh_hostile *q = h->hostile;
    p->next = NULL;
    if (q->tail) q->tail->next = p;
    else q->head = p;
    q->tail = p;
    q->count++;
    q->bytes += p->len;
    while (q->count > NRH_QUARANTINE_COUNT || (q->bytes > NRH_QUARANTINE_BYTES && q->count > 1)) {
        nrh_poisoned *old = q->head;
        q->head = old->next;
        if (!q->head) q->tail = NULL;
        q->count--;
        q->bytes -= old->len;
        nrh_poisoned_check(h, old);
        nrh_poisoned_free(old);
    }
}

/* The call returned: its inputs become writable, are poisoned and go into quarantine. */
static void nrh_inputs_end(nrh_host *h, nrh_inputs *in) {
    for (nrh_poisoned *p = in->list; p; p = p->next) {
        if (p->data_len) mprotect(p->map, p->data_len, PROT_READ | PROT_WRITE);
        nrh_poison_fill(p->bytes, p->len);
        if (p->slot) nrh_faults[p->slot - 1].returned = 1;
    }
    if (!in->list) return;
    pthread_mutex_lock(&h->lock);
    while (in->list) {
        nrh_poisoned *next = in->list->next;
        nrh_quarantine(h, in->list);
        in->list = next;
    }
    pthread_mutex_unlock(&h->lock);
}

#if NRH_ABI == 1
static NrStr nrh_guard_str(nrh_inputs *in, NrStr s, uint8_t **pool) {
    if (*pool && s.ptr) {
        memcpy(*pool, s.ptr, s.len);
        s.ptr = *pool;
        *pool += s.len;
    } else {
        s.ptr = nrh_guard_copy(in, s.ptr, s.len, NRH_IN_REQUEST);
    }
    return s;
}

/*
 * A copy of the request in guarded buffers: the NrRequest, its header array and its
 * first NRH_GUARDED_STRINGS strings each end at a guard page; the strings after those
 * share one exactly-sized buffer (a guard page for each of 10,000 headers would cost
 * more mappings than a process may have).
 */
static const NrRequest *nrh_guard_request(nrh_inputs *in, const NrRequest *req) {
    nrh_poisoned *rp = nrh_guard_new(sizeof(NrRequest), NRH_IN_REQUEST);
    if (!rp) return req;
    NrRequest *copy = (NrRequest *)rp->bytes;
    *copy = *req;
    uint8_t *pool = NULL;
    uint64_t shared = 0;
    uint32_t n = req->headers ? req->headers_len : 0;
    for (uint32_t i = 0; i < n; i++)
        if (3 + 2 * (uint64_t)i >= NRH_GUARDED_STRINGS) shared += (uint64_t)req->headers[i].key.len + req->headers[i].value.len;
    nrh_poisoned *pp = shared ? nrh_guard_new(shared, NRH_IN_REQUEST) : NULL;
    copy->method = nrh_guard_str(in, req->method, &pool);
    copy->path = nrh_guard_str(in, req->path, &pool);
    copy->query = nrh_guard_str(in, req->query, &pool);
    nrh_poisoned *hp = n ? nrh_guard_new((uint64_t)n * sizeof(NrHeader), NRH_IN_REQUEST) : NULL;
    if (hp) {
        NrHeader *headers = (NrHeader *)hp->bytes;
        for (uint32_t i = 0; i < n; i++) {
            if (3 + 2 * (uint64_t)i >= NRH_GUARDED_STRINGS && pp && !pool) pool = pp->bytes;
            headers[i].key = nrh_guard_str(in, req->headers[i].key, &pool);
            headers[i].value = nrh_guard_str(in, req->headers[i].value, &pool);
        }
        copy->headers = headers;
        nrh_inputs_add(in, hp);
    }
    if (pp) nrh_inputs_add(in, pp);
    nrh_inputs_add(in, rp);
    return copy;
}
#endif

/* ------------------------------------------------------------------ owned answers and leases */

/* Lock NOT held: hold an owned answer instead of releasing it now (its hash is checked
 * now and again at release). 0 when it is being released for real. hostile_state of an
 * owned frame: 0 fresh, 1 held, 2 held and reported changed, 3/4 released (reported/not). */
static int nrh_hold_owned(nrh_host *h, nrh_frame *f) {
    if (f->hostile_state >= 3) return 0;
    nrh_frame *oldest = NULL;
    pthread_mutex_lock(&h->lock);
    if (f->view && f->len && nrh_hash(f->view, f->len) != f->hash) {
        nrh_violate(h, f->sid, NRH_V_OWNED_CHANGED, f->status, f->len, nrh_tid(), nrh_now());
        f->hostile_state = 2;
    }
    if (f->hostile_state != 2) f->hostile_state = 1;
    struct nrh_hostile *q = h->hostile;
    f->next = q->held;
    q->held = f;
    if (++q->held_count > NRH_HELD_OWNED) {
        nrh_frame **at = &q->held;
        while ((*at)->next) at = &(*at)->next;
        oldest = *at;
        *at = NULL;
        q->held_count--;
    }
    pthread_mutex_unlock(&h->lock);
    if (oldest) {
        oldest->hostile_state = oldest->hostile_state == 2 ? 3 : 4;
        nrh_give_back(oldest);
    }
    return 1;
}

/* Lock NOT held: give back every held owned answer (before shutdown, and when a check sweeps). */
static void nrh_release_held(nrh_host *h) {
    if (!h->hostile) return;
    pthread_mutex_lock(&h->lock);
    nrh_frame *f = h->hostile->held;
    h->hostile->held = NULL;
    h->hostile->held_count = 0;
    pthread_mutex_unlock(&h->lock);
    while (f) {
        nrh_frame *next = f->next;
        f->hostile_state = f->hostile_state == 2 ? 3 : 4;
        nrh_give_back(f);
        f = next;
    }
}

#if NRH_ABI == 2
/* A fresh lease reads as the pattern, so bytes committed but never written show. */
static void nrh_lease_poison(nrh_host *h, nrh_frame *f, uint64_t cap) {
    if (h->hostile) nrh_poison_fill(f->data, cap);
}

/* Lock held: a committed lease's hash, checked when the host is done with its bytes. */
static void nrh_lease_committed(nrh_host *h, nrh_frame *f) {
    if (!h->hostile) return;
    f->hash = nrh_hash(f->data, f->len);
    f->hostile_state = 1;
}
#endif

/* Lock held: the host is done with a committed lease: check it, poison it, keep it a while.
 * 0 when it is not one (the caller frees it). */
static int nrh_lease_done(nrh_host *h, nrh_frame *f) {
    if (!h->hostile || f->path != NRH_PATH_LEASE || f->hostile_state != 1) return 0;
    if (nrh_hash(f->data, f->len) != f->hash)
        nrh_violate(h, f->sid, NRH_V_LEASE_CHANGED, NRH_IN_LEASE, f->len, nrh_tid(), nrh_now());
    nrh_poisoned *p = (nrh_poisoned *)calloc(1, sizeof *p);
    if (!p) return 0;
    p->bytes = f->data;
    p->len = f->view_len;
    p->sid = f->sid;
    p->what = NRH_IN_LEASE;
    p->frame = f;
    nrh_poison_fill(p->bytes, p->len);
    nrh_quarantine(h, p);
    return 1;
}

/* ------------------------------------------------------------------ Python API */

/* Make this host hostile (before init): every later call gets guarded, poisoned inputs. */
NRH_API uint32_t nrh_set_hostile(nrh_host *h) {
    pthread_once(&nrh_hostile_once, nrh_hostile_setup);
    if (h->hostile) return 1;
    struct nrh_hostile *q = (struct nrh_hostile *)calloc(1, sizeof *q);
    if (!q) return 0;
    pthread_mutex_lock(&h->lock);
    h->hostile = q;
    pthread_mutex_unlock(&h->lock);
    return 1;
}

/* Check every quarantined buffer now (each written one is recorded once) and give back the
 * held owned answers; nothing is unmapped, since the plugin may still read what it kept. */
NRH_API void nrh_hostile_sweep(nrh_host *h) {
    if (!h->hostile) return;
    pthread_mutex_lock(&h->lock);
    for (nrh_poisoned *p = h->hostile->head; p; p = p->next) nrh_poisoned_check(h, p);
    pthread_mutex_unlock(&h->lock);
    nrh_release_held(h);
}

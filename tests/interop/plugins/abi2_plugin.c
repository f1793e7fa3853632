/* A hand-written ABI 2 plugin that checks the released-host driver, with no SDK.
 *
 * The types are written out here from the ABI 2 description, so the driver is
 * tested against code that shares nothing with the generators under test.
 *
 * Entries (dispatch id = position in ENTRIES):
 *   echo        answers the payload inside handle (borrowed NrVecU8, host copies)
 *   echo_async  answers the payload from another thread after handle returned
 *   echo_owned  answers through send_result_owned; the buffer is freed by release
 *   echo_lease  answers through acquire/commit, falling back to send_result
 *   count       stream: payload "N" -> frames "0".."N-1", then an empty StreamEnd
 *   chat        bidi: each stream_data is echoed as an Ok frame; stream_close ends it
 *   notify      fire-and-forget: remembers the payload, sends nothing
 *   last        answers the payload notify last remembered
 *   releases    answers "<owned sends> <releases>" of echo_owned
 *   fail        handle returns Err and sends nothing (with INTEROP_CRASH_ON_FAIL: writes to
 *               address payload.len, i.e. NULL for an empty payload)
 * Unknown entries get Invalid, as upstream's own plugins answer.
 */
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef uint32_t NrStatus;
enum { NR_OK = 0, NR_ERR = 1, NR_INVALID = 2, NR_UNSUPPORTED = 3, NR_STREAM_END = 4 };
#define NR_ENTRY_UNKNOWN UINT32_MAX

typedef struct { const uint8_t *ptr; uint32_t len; uint32_t reserved; } NrStr;
typedef struct { const uint8_t *ptr; uint64_t len; } NrBytes;
typedef struct {
    uint8_t *ptr; size_t len; size_t cap; uint8_t owned; uint8_t reserved[7];
    void (*drop_fn)(uint8_t *ptr, size_t len, size_t cap);
} NrVecU8;
typedef struct {
    const uint8_t *ptr; uint64_t len; void *owner_ctx;
    void (*release)(void *owner_ctx, const uint8_t *ptr, uint64_t len);
} NrOwnedBytes;
typedef struct { uint8_t *ptr; uint64_t cap; uint64_t token; } NrBufferLease;
typedef struct {
    NrStatus (*send_result)(void *host_ctx, uint64_t sid, NrStatus status, NrVecU8 payload);
    NrStatus (*send_result_owned)(void *host_ctx, uint64_t sid, NrStatus status, NrOwnedBytes payload);
    NrBufferLease (*acquire_result_buffer)(void *host_ctx, uint64_t sid, uint64_t capacity);
    NrStatus (*commit_result_buffer)(void *host_ctx, uint64_t sid, NrStatus status, uint64_t token,
                                     uint64_t initialized_len);
} NrHostVTable;
typedef struct {
    NrStatus (*init)(void *host_ctx, const NrHostVTable *host_vtable);
    NrStatus (*handle)(NrStr entry, uint64_t sid, NrBytes payload);
    void (*shutdown)(void);
    NrStatus (*stream_data)(uint64_t sid, NrBytes data);
    NrStatus (*stream_close)(uint64_t sid);
    uint32_t (*resolve_entry)(NrStr entry);
    NrStatus (*handle_by_id)(uint32_t id, uint64_t sid, NrBytes payload);
} NrPluginVTable;
typedef struct {
    uint32_t abi_version; uint32_t struct_size; NrStr name; NrStr version;
    void *plugin_ctx; const NrPluginVTable *vtable;
} NrPluginInfo;

_Static_assert(sizeof(NrVecU8) == 40, "NrVecU8");
_Static_assert(sizeof(NrOwnedBytes) == 32, "NrOwnedBytes");
_Static_assert(sizeof(NrHostVTable) == 32, "NrHostVTable");
_Static_assert(sizeof(NrPluginVTable) == 56, "NrPluginVTable");
_Static_assert(sizeof(NrPluginInfo) == 56, "NrPluginInfo");

static void *g_ctx;
static const NrHostVTable *g_host;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t g_last[256];
static size_t g_last_len;
static unsigned long g_owned_sent, g_released;
#define MAX_CHATS 64
static uint64_t g_chats[MAX_CHATS];

static NrVecU8 borrowed(const uint8_t *ptr, size_t len) {
    NrVecU8 v;
    memset(&v, 0, sizeof v);
    v.ptr = (uint8_t *)ptr;
    v.len = len;
    v.cap = len;
    return v;
}

static NrStatus send(uint64_t sid, NrStatus status, const void *ptr, size_t len) {
    return g_host->send_result(g_ctx, sid, status, borrowed((const uint8_t *)ptr, len));
}

static NrStatus echo(uint64_t sid, NrBytes p) { return send(sid, NR_OK, p.ptr, (size_t)p.len); }

struct later { uint64_t sid; size_t len; uint8_t data[]; };

static void *answer_later(void *arg) {
    struct later *job = arg;
    send(job->sid, NR_OK, job->data, job->len);
    free(job);
    return NULL;
}

static NrStatus echo_async(uint64_t sid, NrBytes p) {
    struct later *job = malloc(sizeof *job + (size_t)p.len);
    pthread_t thread;
    if (job == NULL) return NR_ERR;
    job->sid = sid;
    job->len = (size_t)p.len;
    if (p.len) memcpy(job->data, p.ptr, (size_t)p.len);
    if (pthread_create(&thread, NULL, answer_later, job) != 0) { free(job); return NR_ERR; }
    pthread_detach(thread);
    return NR_OK;
}

static void release_owned(void *owner_ctx, const uint8_t *ptr, uint64_t len) {
    (void)ptr; (void)len;
    free(owner_ctx);
    pthread_mutex_lock(&g_lock);
    g_released++;
    pthread_mutex_unlock(&g_lock);
}

static NrStatus echo_owned(uint64_t sid, NrBytes p) {
    uint8_t *copy = malloc((size_t)p.len + 1);
    NrOwnedBytes out;
    if (copy == NULL) return NR_ERR;
    if (p.len) memcpy(copy, p.ptr, (size_t)p.len);
    out.ptr = copy; out.len = p.len; out.owner_ctx = copy; out.release = release_owned;
    pthread_mutex_lock(&g_lock);
    g_owned_sent++;
    pthread_mutex_unlock(&g_lock);
    g_host->send_result_owned(g_ctx, sid, NR_OK, out);
    return NR_OK;
}

static NrStatus echo_lease(uint64_t sid, NrBytes p) {
    NrBufferLease lease = g_host->acquire_result_buffer(g_ctx, sid, p.len);
    if (lease.ptr == NULL) return echo(sid, p);
    if (p.len) memcpy(lease.ptr, p.ptr, (size_t)p.len);
    if (g_host->commit_result_buffer(g_ctx, sid, NR_OK, lease.token, p.len) != NR_OK) return echo(sid, p);
    return NR_OK;
}

static int parse_count(NrBytes p, unsigned *out) {
    unsigned n = 0;
    if (p.len == 0 || p.len > 6) return 0;
    for (uint64_t i = 0; i < p.len; i++) {
        if (p.ptr[i] < '0' || p.ptr[i] > '9') return 0;
        n = n * 10 + (unsigned)(p.ptr[i] - '0');
    }
    *out = n;
    return 1;
}

static NrStatus count(uint64_t sid, NrBytes p) {
    unsigned n;
    char text[16];
    if (!parse_count(p, &n)) return NR_INVALID;
    for (unsigned i = 0; i < n; i++) {
        int len = 0;
        unsigned v = i, div = 1;
        while (v / div >= 10) div *= 10;
        for (; div; div /= 10) text[len++] = (char)('0' + (v / div) % 10);
        send(sid, NR_OK, text, (size_t)len);
    }
    send(sid, NR_STREAM_END, NULL, 0);
    return NR_OK;
}

static int chat_slot(uint64_t sid) {
    for (int i = 0; i < MAX_CHATS; i++) if (g_chats[i] == sid) return i;
    return -1;
}

static NrStatus chat(uint64_t sid, NrBytes p) {
    int slot;
    (void)p;
    pthread_mutex_lock(&g_lock);
    slot = chat_slot(0);
    if (slot >= 0) g_chats[slot] = sid;
    pthread_mutex_unlock(&g_lock);
    return slot >= 0 ? NR_OK : NR_ERR;
}

static NrStatus notify(uint64_t sid, NrBytes p) {
    (void)sid;
    pthread_mutex_lock(&g_lock);
    g_last_len = p.len < sizeof g_last ? (size_t)p.len : sizeof g_last;
    if (g_last_len) memcpy(g_last, p.ptr, g_last_len);
    pthread_mutex_unlock(&g_lock);
    return NR_OK;
}

static NrStatus last(uint64_t sid, NrBytes p) {
    uint8_t copy[sizeof g_last];
    size_t len;
    (void)p;
    pthread_mutex_lock(&g_lock);
    len = g_last_len;
    memcpy(copy, g_last, len);
    pthread_mutex_unlock(&g_lock);
    return send(sid, NR_OK, copy, len);
}

static NrStatus releases(uint64_t sid, NrBytes p) {
    char text[64];
    unsigned long sent, released;
    int len = 0;
    (void)p;
    pthread_mutex_lock(&g_lock);
    sent = g_owned_sent;
    released = g_released;
    pthread_mutex_unlock(&g_lock);
    for (int part = 0; part < 2; part++) {
        unsigned long v = part ? released : sent, div = 1;
        if (part) text[len++] = ' ';
        while (v / div >= 10) div *= 10;
        for (; div; div /= 10) text[len++] = (char)('0' + (v / div) % 10);
    }
    return send(sid, NR_OK, text, (size_t)len);
}

static NrStatus fail(uint64_t sid, NrBytes p) {
    (void)sid; (void)p;
#ifdef INTEROP_CRASH_ON_FAIL /* the tests build a variant that dies here, to see the crash reported */
    *(volatile int *)(uintptr_t)p.len = 1;
#endif
    return NR_ERR;
}

typedef NrStatus (*handler_fn)(uint64_t sid, NrBytes p);
static const struct { const char *name; handler_fn fn; } ENTRIES[] = {
    {"echo", echo}, {"echo_async", echo_async}, {"echo_owned", echo_owned}, {"echo_lease", echo_lease},
    {"count", count}, {"chat", chat}, {"notify", notify}, {"last", last}, {"releases", releases},
    {"fail", fail},
};
#define ENTRY_COUNT (sizeof ENTRIES / sizeof ENTRIES[0])

static uint32_t resolve_entry(NrStr entry) {
    if (entry.ptr == NULL && entry.len) return NR_ENTRY_UNKNOWN;
    for (uint32_t i = 0; i < ENTRY_COUNT; i++)
        if (strlen(ENTRIES[i].name) == entry.len && memcmp(ENTRIES[i].name, entry.ptr, entry.len) == 0) return i;
    return NR_ENTRY_UNKNOWN;
}

static NrStatus handle_by_id(uint32_t id, uint64_t sid, NrBytes payload) {
    if (id >= ENTRY_COUNT || g_host == NULL) return NR_INVALID;
    if (payload.ptr == NULL && payload.len) return NR_INVALID;
    return ENTRIES[id].fn(sid, payload);
}

static NrStatus handle(NrStr entry, uint64_t sid, NrBytes payload) {
    return handle_by_id(resolve_entry(entry), sid, payload);
}

static NrStatus stream_data(uint64_t sid, NrBytes data) {
    int open;
    pthread_mutex_lock(&g_lock);
    open = sid != 0 && chat_slot(sid) >= 0;
    pthread_mutex_unlock(&g_lock);
    if (!open) return NR_INVALID;
    send(sid, NR_OK, data.ptr, (size_t)data.len);
    return NR_OK;
}

static NrStatus stream_close(uint64_t sid) {
    int slot;
    pthread_mutex_lock(&g_lock);
    slot = sid != 0 ? chat_slot(sid) : -1;
    if (slot >= 0) g_chats[slot] = 0;
    pthread_mutex_unlock(&g_lock);
    if (slot < 0) return NR_INVALID;
    send(sid, NR_STREAM_END, NULL, 0);
    return NR_OK;
}

static NrStatus init(void *host_ctx, const NrHostVTable *host_vtable) {
    if (host_vtable == NULL) return NR_INVALID;
    g_ctx = host_ctx;
    g_host = host_vtable;
    return NR_OK;
}

static void shutdown_plugin(void) { g_host = NULL; }

static const NrPluginVTable VTABLE = {init, handle, shutdown_plugin, stream_data, stream_close,
                                      resolve_entry, handle_by_id};
#ifndef INTEROP_ABI_VERSION
#define INTEROP_ABI_VERSION 2 /* the tests also build it with another value, which the host must refuse */
#endif
static const NrPluginInfo INFO = {INTEROP_ABI_VERSION, sizeof(NrPluginInfo), {(const uint8_t *)"abi2-interop", 12, 0},
                                  {(const uint8_t *)"0.1.0", 5, 0}, NULL, &VTABLE};

#ifndef INTEROP_EXPORT
#define INTEROP_EXPORT nylon_ring_get_plugin /* the tests also build it under ABI 1's name */
#endif
__attribute__((visibility("default"))) const NrPluginInfo *INTEROP_EXPORT(void) { return &INFO; }

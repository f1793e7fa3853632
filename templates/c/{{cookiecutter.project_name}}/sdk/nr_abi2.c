/*
 * nr_abi2.c: the ABI 2 layer of the SDK (see nr_plugin.c, which includes this file: it
 * is not compiled on its own). The host's send_result takes an NrVecU8 (the SDK always
 * passes a borrowed one, which the host copies) and answers a status (Backpressure for
 * a full stream queue, Invalid for a sid it does not know); the vtable functions take no
 * plugin context and handle has no request metadata; the host may offer zero-copy
 * answers (send_result_owned) and leased output buffers (acquire/commit); integer
 * dispatch resolves names to slots of the route table. Probes answer only when
 * NYLON_RING_ENABLE_PROBES=1 is set at init.
 */

/* Read on every call, written only by init. */
static void *host_ctx;
static NrSendResultFn host_send_fn;
static NrSendResultOwnedFn host_owned_fn;      /* NULL: answers are copied */
static NrAcquireResultBufferFn host_acquire_fn; /* NULL (with commit): no leases */
static NrCommitResultBufferFn host_commit_fn;
static bool probes_live;

static inline NrStatus layer_send(uint64_t sid, NrStatus status, const void *data, size_t len) {
    NrVecU8 borrowed;
    memset(&borrowed, 0, sizeof(borrowed));
    borrowed.ptr = (uint8_t *)(uintptr_t)(data != NULL ? data : empty_bytes); /* borrowed: the host only reads it */
    borrowed.len = len;
    borrowed.cap = len;
    return host_send_fn(host_ctx, sid, status, borrowed);
}

static bool layer_request_size(const struct NrRequest *req, size_t *total) {
    (void)req;
    (void)total;
    return true;
}

static const struct NrRequest *layer_copy_request(const struct NrRequest *req, uint8_t **cursor) {
    (void)req;
    (void)cursor;
    return NULL;
}

static void layer_forget_host(void) {}

static bool layer_probes_live(void) { return probes_live; }

static const char *layer_mode(NrpKind kind) { return kind == NRP_UNARY ? "unary" : kind == NRP_STREAM ? "stream" : "bidi"; }

/* ------------------------------------------------------------------ owned answers */

/* An owned answer in progress; `handed` once the host has it (it then calls release, whatever it answered). */
typedef struct NrpOwnedOut {
    NrStatus status;
    NrOwnedBytes bytes;
    bool handed;
} NrpOwnedOut;

static NrpSend send_owned(const NrpCall *call, void *arg) {
    NrpOwnedOut *out = arg;
    bool gated = needs_gate(call);
    if (!host_begin(call, gated)) return NRP_SHUT_DOWN;
    NrStatus got = host_owned_fn(host_ctx, call->head.sid, out->status, out->bytes);
    host_end(call, gated);
    out->handed = true;
    return got == NR_STATUS_OK ? NRP_SENT : NRP_REFUSED; /* a unary answer: no queue to be full */
}

NrpSend nrp_reply_owned(NrpCall *call, NrStatus status, const void *data, size_t len, NrReleaseFn release, void *owner) {
    NrpSend result;
    NrpOwnedOut out = {status, {data != NULL ? (const uint8_t *)data : empty_bytes, len, owner, release}, false};
    if (call == NULL || (data == NULL && len != 0)) {
        result = NRP_BAD_ARGUMENT;
    } else if (call->kind != NRP_UNARY || host_owned_fn == NULL) {
        result = nrp_reply(call, status, data, len); /* copied: the bytes are free again when it returns */
    } else {
        result = send_final_via(call, send_owned, &out);
    }
    if (!out.handed && release != NULL) release(owner, out.bytes.ptr, out.bytes.len);
    return result;
}

/* ------------------------------------------------------------------ leases */

bool nrp_lease_acquire(NrpCall *call, size_t capacity, NrpLease *lease) {
    if (lease == NULL) return false;
    memset(lease, 0, sizeof(*lease));
    if (call == NULL || call->kind != NRP_UNARY || host_acquire_fn == NULL || nrp_done(call)) return false;
    bool gated = needs_gate(call);
    if (!host_begin(call, gated)) return false;
    NrBufferLease got = host_acquire_fn(host_ctx, call->head.sid, (uint64_t)capacity);
    host_end(call, gated);
    if (got.ptr == NULL || got.cap < (uint64_t)capacity) return false; /* a short lease is spent by the other answer */
    lease->data = got.ptr;
    lease->cap = got.cap <= SIZE_MAX ? (size_t)got.cap : SIZE_MAX;
    lease->token = got.token;
    return true;
}

/* A commit in progress: the lease, its status and length. */
typedef struct NrpCommit {
    NrStatus status;
    const NrpLease *lease;
    size_t len;
} NrpCommit;

/* Commits the lease; when the host refuses, its bytes (still the lease's) go out through send_result instead. */
static NrpSend send_committed(const NrpCall *call, void *arg) {
    const NrpCommit *c = arg;
    bool gated = needs_gate(call);
    if (!host_begin(call, gated)) return NRP_SHUT_DOWN;
    NrStatus got = host_commit_fn(host_ctx, call->head.sid, c->status, c->lease->token, (uint64_t)c->len);
    if (got != NR_STATUS_OK) got = layer_send(call->head.sid, c->status, c->lease->data, c->len);
    host_end(call, gated);
    return got == NR_STATUS_OK ? NRP_SENT : NRP_REFUSED;
}

NrpSend nrp_lease_commit(NrpCall *call, NrStatus status, NrpLease *lease, size_t len) {
    if (call == NULL || lease == NULL || lease->data == NULL || len > lease->cap) return NRP_BAD_ARGUMENT;
    NrpCommit commit = {status, lease, len};
    NrpSend result = send_final_via(call, send_committed, &commit);
    memset(lease, 0, sizeof(*lease)); /* spent: committed, or consumed by the answer the call already had */
    return result;
}

/* ------------------------------------------------------------------ the vtable */

static NrStatus plugin_init(void *ctx, const NrHostVTable *host_vtable) {
    if (host_vtable == NULL || host_vtable->send_result == NULL) return NR_STATUS_INVALID;
    host_ctx = ctx;
    host_send_fn = host_vtable->send_result;
    host_owned_fn = host_vtable->send_result_owned;
    bool leases = host_vtable->acquire_result_buffer != NULL && host_vtable->commit_result_buffer != NULL;
    host_acquire_fn = leases ? host_vtable->acquire_result_buffer : NULL;
    host_commit_fn = leases ? host_vtable->commit_result_buffer : NULL;
    probes_live = probes_requested();
    return core_init();
}

static NrStatus plugin_handle(NrStr entry, uint64_t sid, NrBytes payload) { return dispatch(entry, sid, NULL, payload); }

static void plugin_shutdown(void) { core_shutdown(); }

static NrStatus plugin_stream_data(uint64_t sid, NrBytes data) {
    if (!bytes_ok(data)) return NR_STATUS_INVALID;
    return session_callback(sid, &data);
}

static NrStatus plugin_stream_close(uint64_t sid) { return session_callback(sid, NULL); }

static uint32_t plugin_resolve_entry(NrStr entry) { return route_id(entry); }

static NrStatus plugin_handle_by_id(uint32_t id, uint64_t sid, NrBytes payload) { return dispatch_id(id, sid, payload); }

static const NrPluginVTable plugin_vtable = {
    plugin_init,         plugin_handle,        plugin_shutdown,     plugin_stream_data,
    plugin_stream_close, plugin_resolve_entry, plugin_handle_by_id,
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
    prepare_routes();
}

NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin(void) {
    pthread_once(&plugin_info_once, fill_plugin_info);
    return &plugin_info;
}

NR_EXPORT const uint8_t *nylon_ring_manifest(void) { return nrp_manifest(); }

NR_DEFINE_LAYOUT_PROBE()

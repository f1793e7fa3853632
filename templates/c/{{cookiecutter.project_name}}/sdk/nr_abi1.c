/*
 * nr_abi1.c: the ABI 1 layer of the SDK (see nr_plugin.c, which includes this file:
 * it is not compiled on its own). The host's send_result returns nothing and takes the
 * payload as a borrowed view; handle carries request metadata and handle_raw none; the
 * vtable functions take the plugin context; the host may hand over the state extension
 * through nylon_ring_set_host_ext_v1. Probes stay live, as they always were on ABI 1.
 */

/* Read on every call, written only by init, set_host_ext and shutdown. */
static void *host_ctx;
static NrSendResultFn host_send_fn;
static _Atomic(const NrHostExt *) host_ext;

static inline NrStatus layer_send(uint64_t sid, NrStatus status, const void *data, size_t len) {
    NrBytes bytes = {data != NULL ? (const uint8_t *)data : empty_bytes, len};
    host_send_fn(host_ctx, sid, status, bytes);
    return NR_STATUS_OK;
}

static void layer_forget_host(void) { atomic_store(&host_ext, NULL); }

static bool layer_probes_live(void) { return true; }

static const char *layer_mode(NrpKind kind) {
    return kind == NRP_UNARY ? "raw" : kind == NRP_STREAM ? "stream_raw" : "bidi";
}

/* ------------------------------------------------------------------ request metadata */

static bool request_ok(const NrRequest *req) {
    if (req == NULL || !str_ok(req->path) || !str_ok(req->method) || !str_ok(req->query)) return false;
    if (req->headers == NULL) return req->headers_len == 0;
    for (uint32_t i = 0; i < req->headers_len; i++) {
        if (!str_ok(req->headers[i].key) || !str_ok(req->headers[i].value)) return false;
    }
    return true;
}

/* The request, its headers, then its strings (validated by handle). */
static bool layer_request_size(const NrRequest *req, size_t *total) {
    if (req == NULL) return true;
    bool ok = add_size(total, sizeof(NrRequest)) && add_size(total, req->path.len) &&
              add_size(total, req->method.len) && add_size(total, req->query.len);
    for (uint32_t i = 0; ok && i < req->headers_len; i++) {
        ok = add_size(total, req->headers[i].key.len) && add_size(total, req->headers[i].value.len) &&
             add_size(total, sizeof(NrHeader));
    }
    return ok;
}

static NrStr copy_str(uint8_t **cursor, NrStr s) {
    NrStr out = nrp_str_n(*cursor, s.len);
    if (s.len != 0) memcpy(*cursor, s.ptr, s.len);
    *cursor += s.len;
    return out;
}

static const NrRequest *layer_copy_request(const NrRequest *req, uint8_t **cursor) {
    if (req == NULL) return NULL;
    NrRequest *out = (NrRequest *)(void *)*cursor;
    NrHeader *headers = (NrHeader *)(void *)(out + 1);
    *cursor = (uint8_t *)(headers + req->headers_len);
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
    return out;
}

size_t nrp_header_count(const NrpCall *call) { return nrp_has_request(call) ? call->head.req->headers_len : 0; }
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
    host_ctx = ctx;
    host_send_fn = host_vtable->send_result;
    return core_init();
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
    core_shutdown();
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
    prepare_routes();
}

NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin_v1(void) {
    pthread_once(&plugin_info_once, fill_plugin_info);
    return &plugin_info;
}

NR_EXPORT void nylon_ring_set_host_ext_v1(const NrHostExt *ext) { atomic_store(&host_ext, ext); }

/* The embedded manifest, built from the entry table. */
NR_EXPORT const uint8_t *nylon_ring_manifest(void) { return nrp_manifest(); }

NR_DEFINE_LAYOUT_PROBE()

/*
 * nr_abi1.hpp: the ABI 1 layer of the C++ SDK (the original nylon-ring ABI). It says
 * how the host is called (send_result with a borrowed NrBytes, the state extension),
 * includes the generation-independent core, and defines the vtable and the exports on
 * top of it: nylon_ring_get_plugin_v1, nylon_ring_set_host_ext_v1,
 * nylon_ring_manifest and nylon_ring_layout_probe_v1.
 *
 * ABI 1 has no Panic or Backpressure status (a contained exception is answered Err, a
 * full background queue refuses a call with Err), no zero-copy answers and no leases
 * (Responder::reply_owned copies, acquire() always fails), and no integer dispatch.
 */
#ifndef NR_ABI1_HPP
#define NR_ABI1_HPP

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nylon_ring.hpp"

#if !defined(NR_ABI_VERSION) || NR_ABI_VERSION != 1
#error "nr_abi1.hpp needs the ABI 1 bindings in include/ (nylon-ring gen-bindings --abi 1)"
#endif

namespace nylon_ring::sdk::abi {

inline constexpr unsigned kGeneration = 1;
/** What a contained exception is answered with (ABI 1 has no Panic status). */
inline constexpr Status kPanicStatus = Status::Err;
/** What handle returns when the background queue is full. */
inline constexpr NrStatus kBusyStatus = NR_STATUS_ERR;
/** ABI 1 has no Backpressure status; this value never comes back from its host. */
inline constexpr NrStatus kBackpressure = 6;
inline constexpr const char *kProbeMode = "raw";

/** The manifest mode of an entry: through handle (with a request) or handle_raw. */
constexpr const char *mode_name(bool unary, bool bidi, bool with_request) noexcept {
    return bidi ? "bidi" : unary ? (with_request ? "unary" : "raw") : (with_request ? "stream" : "stream_raw");
}

/** The host's vtable as init handed it over. */
struct HostFns {
    NrSendResultFn send = nullptr;
};

inline NrStatus send_copy(const HostFns &fns, void *ctx, std::uint64_t sid, NrStatus status, const void *data,
                          std::size_t size) noexcept {
    fns.send(ctx, sid, status, nylon_ring::make_bytes(data, size));
    return NR_STATUS_OK;
}

/** No zero-copy path: owned answers are copied. */
inline bool has_owned(const HostFns &) noexcept { return false; }
inline NrStatus send_owned(const HostFns &, void *, std::uint64_t, NrStatus, ByteView, void *,
                           void (*)(void *, const std::uint8_t *, std::uint64_t)) noexcept {
    return NR_STATUS_UNSUPPORTED;
}
/** A lease as a host would grant it; ABI 1 hosts have none. */
struct Grant {
    std::uint8_t *ptr = nullptr;
    std::uint64_t cap = 0;
    std::uint64_t token = 0;
};
/** No leases: acquire always fails, so answers go another way. */
inline Grant acquire(const HostFns &, void *, std::uint64_t, std::size_t) noexcept { return Grant{}; }
inline NrStatus commit(const HostFns &, void *, std::uint64_t, NrStatus, std::uint64_t, std::size_t) noexcept {
    return NR_STATUS_UNSUPPORTED;
}

/* ---- the state extension (nylon_ring_set_host_ext_v1) ---- */

inline std::atomic<const NrHostExt *> g_ext{nullptr};

inline bool state_available() noexcept {
    const NrHostExt *ext = g_ext.load();
    return ext != nullptr && ext->set_state != nullptr && ext->get_state != nullptr;
}
inline bool state_set(void *ctx, std::uint64_t sid, std::string_view key, ByteView value, ByteView *stored) noexcept {
    const NrHostExt *ext = g_ext.load();
    if (ext == nullptr || ext->set_state == nullptr) return false;
    NrBytes copy = ext->set_state(ctx, sid, nylon_ring::make_str(key), nylon_ring::make_bytes(value));
    if (stored != nullptr) *stored = nylon_ring::view(copy);
    return true;
}
inline ByteView state_get(void *ctx, std::uint64_t sid, std::string_view key) noexcept {
    const NrHostExt *ext = g_ext.load();
    if (ext == nullptr || ext->get_state == nullptr) return {};
    return nylon_ring::view(ext->get_state(ctx, sid, nylon_ring::make_str(key)));
}
/** After shutdown the extension's pointer is no longer valid. */
inline void host_closed() noexcept { g_ext.store(nullptr); }

/* ---- request metadata (handle's NrRequest) ---- */

using Meta = NrRequest;
inline std::string_view meta_method(const Meta *m) noexcept { return m ? nylon_ring::view(m->method) : std::string_view(); }
inline std::string_view meta_path(const Meta *m) noexcept { return m ? nylon_ring::view(m->path) : std::string_view(); }
inline std::string_view meta_query(const Meta *m) noexcept { return m ? nylon_ring::view(m->query) : std::string_view(); }
inline std::size_t meta_header_count(const Meta *m) noexcept { return m ? m->headers_len : 0; }
inline std::pair<std::string_view, std::string_view> meta_header(const Meta *m, std::size_t i) noexcept {
    return {nylon_ring::view(m->headers[i].key), nylon_ring::view(m->headers[i].value)};
}

/** A copy of a request's metadata for a background call (not movable: it points into itself). */
class OwnedMeta {
public:
    explicit OwnedMeta(const Meta *meta) : present_(meta != nullptr) {
        if (meta == nullptr) return;
        method_ = nylon_ring::view(meta->method);
        path_ = nylon_ring::view(meta->path);
        query_ = nylon_ring::view(meta->query);
        strings_.reserve(2 * static_cast<std::size_t>(meta->headers_len));
        for (std::uint32_t i = 0; i < meta->headers_len; ++i) {
            strings_.emplace_back(nylon_ring::view(meta->headers[i].key));
            strings_.emplace_back(nylon_ring::view(meta->headers[i].value));
        }
        for (std::size_t i = 0; i + 1 < strings_.size(); i += 2) {
            headers_.push_back(nylon_ring::make_header(strings_[i], strings_[i + 1]));
        }
        meta_ = nylon_ring::make_request(path_, method_, query_, headers_.empty() ? nullptr : headers_.data(),
                                         static_cast<std::uint32_t>(headers_.size()));
    }
    OwnedMeta(const OwnedMeta &) = delete;
    OwnedMeta &operator=(const OwnedMeta &) = delete;
    const Meta *get() const noexcept { return present_ ? &meta_ : nullptr; }

private:
    bool present_;
    std::string method_, path_, query_;
    std::vector<std::string> strings_;
    std::vector<NrHeader> headers_;
    NrRequest meta_{};
};

}  // namespace nylon_ring::sdk::abi

#include "nr_core.hpp"

namespace nylon_ring::sdk::detail {

inline bool request_ok(const NrRequest *req) noexcept {
    if (req == nullptr || !str_ok(req->path) || !str_ok(req->method) || !str_ok(req->query)) return false;
    if (req->headers == nullptr) return req->headers_len == 0;
    for (std::uint32_t i = 0; i < req->headers_len; ++i) {
        if (!str_ok(req->headers[i].key) || !str_ok(req->headers[i].value)) return false;
    }
    return true;
}

inline NrStatus abi1_init(void *, void *ctx, const NrHostVTable *vtable) noexcept {
    if (vtable == nullptr || vtable->send_result == nullptr) return NR_STATUS_INVALID;
    host().fns = abi::HostFns{vtable->send_result};
    return start(ctx);
}

inline NrStatus abi1_handle(void *, NrStr entry, std::uint64_t sid, const NrRequest *req, NrBytes payload) noexcept {
    if (!request_ok(req)) return NR_STATUS_INVALID;
    return dispatch(entry, sid, req, payload);
}

inline NrStatus abi1_handle_raw(void *, NrStr entry, std::uint64_t sid, NrBytes payload) noexcept {
    return dispatch(entry, sid, nullptr, payload);
}

inline void abi1_shutdown(void *) noexcept { stop(); }

inline NrStatus abi1_stream_data(void *, std::uint64_t sid, NrBytes data) noexcept { return stream_data(sid, data); }

inline NrStatus abi1_stream_close(void *, std::uint64_t sid) noexcept { return stream_close(sid); }

/** The plugin info, built once: the NYLON_RING_PLUGIN body runs here. */
inline const NrPluginInfo *plugin_info(const char *name, const char *version, void (*define)(Plugin &)) noexcept {
    static const NrPluginVTable vtable = {abi1_init,     abi1_handle,      abi1_handle_raw,
                                          abi1_shutdown, abi1_stream_data, abi1_stream_close};
    static NrPluginInfo info{};
    static std::once_flag once;
    try {
        std::call_once(once, [&] {
            const Plugin *plugin = define_plugin(name, version, define);
            info = nylon_ring::make_plugin_info(NR_ABI_VERSION, static_cast<std::uint32_t>(sizeof(NrPluginInfo)),
                                                plugin ? std::string_view(plugin->name()) : std::string_view(name),
                                                plugin ? std::string_view(plugin->version()) : std::string_view(version),
                                                nullptr, &vtable);
        });
    } catch (...) {
        // out of memory: the info is returned as it is
    }
    return &info;
}

inline void set_host_ext(const NrHostExt *ext) noexcept { abi::g_ext.store(ext); }

}  // namespace nylon_ring::sdk::detail

/**
 * Defines the plugin and its exported symbols; the block that follows fills in VAR
 * (a nylon_ring::sdk::Plugin&). Use it in exactly one source file.
 */
#define NYLON_RING_PLUGIN(NAME, VERSION, VAR)                                                       \
    static void nr_plugin_define_(::nylon_ring::sdk::Plugin &VAR);                                  \
    extern "C" NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin_v1(void) {                       \
        return ::nylon_ring::sdk::detail::plugin_info(NAME, VERSION, nr_plugin_define_);            \
    }                                                                                               \
    extern "C" NR_EXPORT void nylon_ring_set_host_ext_v1(const NrHostExt *ext) {                    \
        ::nylon_ring::sdk::detail::set_host_ext(ext);                                               \
    }                                                                                               \
    extern "C" NR_EXPORT const uint8_t *nylon_ring_manifest(void) {                                 \
        ::nylon_ring::sdk::detail::plugin_info(NAME, VERSION, nr_plugin_define_);                   \
        return ::nylon_ring::sdk::detail::manifest_text();                                          \
    }                                                                                               \
    NR_DEFINE_LAYOUT_PROBE()                                                                        \
    static void nr_plugin_define_(::nylon_ring::sdk::Plugin &VAR)

#endif /* NR_ABI1_HPP */

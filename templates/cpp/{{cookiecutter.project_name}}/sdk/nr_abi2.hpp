/*
 * nr_abi2.hpp: the ABI 2 layer of the C++ SDK (what the released nylon-ring 0.2.x
 * hosts load). It says how the host is called (send_result with an NrVecU8,
 * send_result_owned, leases), includes the generation-independent core, and defines
 * the vtable and the exports on top of it: nylon_ring_get_plugin,
 * nylon_ring_manifest and nylon_ring_layout_probe_v2.
 *
 * ABI 2 calls carry no request metadata and no plugin_ctx; a contained exception is
 * answered with status Panic; a full background queue refuses a call with
 * Backpressure; resolve_entry and handle_by_id are both set (ids are places in the
 * route table).
 */
#ifndef NR_ABI2_HPP
#define NR_ABI2_HPP

#include <cstdint>
#include <string_view>
#include <utility>

#include "nylon_ring.hpp"

#if !defined(NR_ABI_VERSION) || NR_ABI_VERSION != 2
#error "nr_abi2.hpp needs the ABI 2 bindings in include/ (nylon-ring gen-bindings --abi 2)"
#endif

namespace nylon_ring::sdk::abi {

inline constexpr unsigned kGeneration = 2;
/** What a contained exception is answered with. */
inline constexpr Status kPanicStatus = Status::Panic;
/** What handle returns when the background queue is full. */
inline constexpr NrStatus kBusyStatus = NR_STATUS_BACKPRESSURE;
/** The status of a frame the host's full stream queue did not take. */
inline constexpr NrStatus kBackpressure = NR_STATUS_BACKPRESSURE;
inline constexpr const char *kProbeMode = "unary";
/** A lease as the host granted it (NULL ptr: refused). */
using Grant = NrBufferLease;

/** The manifest mode of an entry (ABI 2 has one way in: handle). */
constexpr const char *mode_name(bool unary, bool bidi, bool /*with_request*/) noexcept {
    return unary ? "unary" : bidi ? "bidi" : "stream";
}

/** The host's vtable as init handed it over. */
struct HostFns {
    NrSendResultFn send = nullptr;
    NrSendResultOwnedFn send_owned = nullptr;
    NrAcquireResultBufferFn acquire = nullptr;
    NrCommitResultBufferFn commit = nullptr;
};

/** A borrowed payload the host copies inside send_result. */
inline NrStatus send_copy(const HostFns &fns, void *ctx, std::uint64_t sid, NrStatus status, const void *data,
                          std::size_t size) noexcept {
    NrVecU8 payload{};
    if (data != nullptr && size != 0) {
        payload.ptr = const_cast<std::uint8_t *>(static_cast<const std::uint8_t *>(data));  // owned = 0: only read
        payload.len = size;
        payload.cap = size;
    }
    return fns.send(ctx, sid, status, payload);
}

inline bool has_owned(const HostFns &fns) noexcept { return fns.send_owned != nullptr; }

/** Hands `bytes` over without a copy; the host calls `release(owner, ...)` exactly once. */
inline NrStatus send_owned(const HostFns &fns, void *ctx, std::uint64_t sid, NrStatus status, ByteView bytes, void *owner,
                           NrReleaseFn release) noexcept {
    NrOwnedBytes payload{};
    payload.ptr = bytes.data();
    payload.len = bytes.size();
    payload.owner_ctx = owner;
    payload.release = release;
    return fns.send_owned(ctx, sid, status, payload);
}

inline Grant acquire(const HostFns &fns, void *ctx, std::uint64_t sid, std::size_t capacity) noexcept {
    if (fns.acquire == nullptr || fns.commit == nullptr) return Grant{};
    return fns.acquire(ctx, sid, capacity);
}

inline NrStatus commit(const HostFns &fns, void *ctx, std::uint64_t sid, NrStatus status, std::uint64_t token,
                       std::size_t length) noexcept {
    return fns.commit(ctx, sid, status, token, length);
}

/** ABI 2 has no state extension. */
inline bool state_available() noexcept { return false; }
inline bool state_set(void *, std::uint64_t, std::string_view, ByteView, ByteView *) noexcept { return false; }
inline ByteView state_get(void *, std::uint64_t, std::string_view) noexcept { return {}; }
inline void host_closed() noexcept {}

/** ABI 2 calls carry no request metadata: a Request's metadata reads as empty. */
struct Meta;
inline std::string_view meta_method(const Meta *) noexcept { return {}; }
inline std::string_view meta_path(const Meta *) noexcept { return {}; }
inline std::string_view meta_query(const Meta *) noexcept { return {}; }
inline std::size_t meta_header_count(const Meta *) noexcept { return 0; }
inline std::pair<std::string_view, std::string_view> meta_header(const Meta *, std::size_t) noexcept { return {}; }

/** What a background call keeps of the metadata: nothing. */
class OwnedMeta {
public:
    explicit OwnedMeta(const Meta *) noexcept {}
    const Meta *get() const noexcept { return nullptr; }
};

}  // namespace nylon_ring::sdk::abi

#include "nr_core.hpp"

namespace nylon_ring::sdk::detail {

inline NrStatus abi2_init(void *ctx, const NrHostVTable *vtable) noexcept {
    if (vtable == nullptr || vtable->send_result == nullptr) return NR_STATUS_INVALID;
    host().fns = abi::HostFns{vtable->send_result, vtable->send_result_owned, vtable->acquire_result_buffer,
                              vtable->commit_result_buffer};
    return start(ctx);
}

inline NrStatus abi2_handle(NrStr entry, std::uint64_t sid, NrBytes payload) noexcept {
    return dispatch(entry, sid, nullptr, payload);
}

inline void abi2_shutdown() noexcept { stop(); }

inline std::uint32_t abi2_resolve_entry(NrStr entry) noexcept { return resolve(entry); }

inline NrStatus abi2_handle_by_id(std::uint32_t id, std::uint64_t sid, NrBytes payload) noexcept {
    return dispatch_id(id, sid, payload);
}

/** The plugin info, built once: the NYLON_RING_PLUGIN body runs here. */
inline const NrPluginInfo *plugin_info(const char *name, const char *version, void (*define)(Plugin &)) noexcept {
    static const NrPluginVTable vtable = {abi2_init,          abi2_handle,        abi2_shutdown,    stream_data,
                                          stream_close,       abi2_resolve_entry, abi2_handle_by_id};
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

}  // namespace nylon_ring::sdk::detail

/**
 * Defines the plugin and its exported symbols; the block that follows fills in VAR
 * (a nylon_ring::sdk::Plugin&). Use it in exactly one source file.
 */
#define NYLON_RING_PLUGIN(NAME, VERSION, VAR)                                                       \
    static void nr_plugin_define_(::nylon_ring::sdk::Plugin &VAR);                                  \
    extern "C" NR_EXPORT const NrPluginInfo *nylon_ring_get_plugin(void) {                          \
        return ::nylon_ring::sdk::detail::plugin_info(NAME, VERSION, nr_plugin_define_);            \
    }                                                                                               \
    extern "C" NR_EXPORT const uint8_t *nylon_ring_manifest(void) {                                 \
        ::nylon_ring::sdk::detail::plugin_info(NAME, VERSION, nr_plugin_define_);                   \
        return ::nylon_ring::sdk::detail::manifest_text();                                          \
    }                                                                                               \
    NR_DEFINE_LAYOUT_PROBE()                                                                        \
    static void nr_plugin_define_(::nylon_ring::sdk::Plugin &VAR)

#endif /* NR_ABI2_HPP */

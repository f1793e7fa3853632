/* Generated from schema/abi2.toml (schema sha256 e1a3a2de882d757b) by nylon-ring-sdk; do not edit. */
/* Regenerate with: nylon-ring gen-bindings --abi 2 */
/**
 * nylon-ring ABI 2: an ABI-stable host/plugin interface for high-performance proxies, with
 * zero-copy answers.
 */
/*
 * C++17 layer over nylon_ring.h: enum classes, NULL-safe views, helper constructors
 * and compile-time layout checks. std::span overloads appear under C++20.
 */
#ifndef NYLON_RING_HPP
#define NYLON_RING_HPP

#include "nylon_ring.h"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#if __cplusplus >= 202002L
#include <span>
#endif

namespace nylon_ring {

/* ---- constants ---- */

/** The ABI version a plugin writes into NrPluginInfo.abi_version; a host requires exactly this value. */
inline constexpr std::uint32_t kAbiVersion = NR_ABI_VERSION;

/** What resolve_entry returns for a name the plugin does not export (UINT32_MAX). */
inline constexpr std::uint32_t kEntryUnknown = NR_ENTRY_UNKNOWN;

/** Version of the NrLayoutProbe table format. */
inline constexpr std::uint32_t kLayoutProbeVersion = NR_LAYOUT_PROBE_VERSION;

/* ---- enums ---- */

/**
 * Outcome of a call or of one result frame; a plain u32 on the wire, so unknown values
 * stay defined. Values are never reused.
 */
enum class Status : std::uint32_t {
    /** Success; for streams, one more frame follows (not terminal). */
    Ok = NR_STATUS_OK,
    /** Runtime error (terminal). */
    Err = NR_STATUS_ERR,
    /** Bad input: malformed payload, unknown stream id, misused lease (terminal). */
    Invalid = NR_STATUS_INVALID,
    /** The operation or entry is not implemented (terminal). */
    Unsupported = NR_STATUS_UNSUPPORTED,
    /** Normal end of a stream (terminal). */
    StreamEnd = NR_STATUS_STREAM_END,
    /** A panic or exception contained at the boundary (terminal). */
    Panic = NR_STATUS_PANIC,
    /** Not terminal: the host's bounded stream queue is full and this frame was not enqueued; the producer decides whether to retry. */
    Backpressure = NR_STATUS_BACKPRESSURE,
};
static_assert(sizeof(Status) == sizeof(::NrStatus), "Status has the width of NrStatus");

/** The C value of a Status. */
constexpr ::NrStatus to_c(Status value) noexcept { return static_cast<::NrStatus>(value); }

/** A raw NrStatus as a Status; std::nullopt for a value foreign code made up. */
constexpr std::optional<Status> to_status(::NrStatus raw) noexcept {
    switch (raw) {
    case NR_STATUS_OK: return Status::Ok;
    case NR_STATUS_ERR: return Status::Err;
    case NR_STATUS_INVALID: return Status::Invalid;
    case NR_STATUS_UNSUPPORTED: return Status::Unsupported;
    case NR_STATUS_STREAM_END: return Status::StreamEnd;
    case NR_STATUS_PANIC: return Status::Panic;
    case NR_STATUS_BACKPRESSURE: return Status::Backpressure;
    default: return std::nullopt;
    }
}

/** The member's name as the schema spells it. */
constexpr std::string_view to_string(Status value) noexcept {
    switch (value) {
    case Status::Ok: return "Ok";
    case Status::Err: return "Err";
    case Status::Invalid: return "Invalid";
    case Status::Unsupported: return "Unsupported";
    case Status::StreamEnd: return "StreamEnd";
    case Status::Panic: return "Panic";
    case Status::Backpressure: return "Backpressure";
    }
    return {};
}

/* ---- short names for the C types ---- */

using Str = ::NrStr;
using Bytes = ::NrBytes;
using VecU8 = ::NrVecU8;
using OwnedBytes = ::NrOwnedBytes;
using BufferLease = ::NrBufferLease;
using HostVTable = ::NrHostVTable;
using PluginVTable = ::NrPluginVTable;
using PluginInfo = ::NrPluginInfo;
using LayoutProbe = ::NrLayoutProbe;
using VecU8DropFn = ::NrVecU8DropFn;
using ReleaseFn = ::NrReleaseFn;
using SendResultFn = ::NrSendResultFn;
using SendResultOwnedFn = ::NrSendResultOwnedFn;
using AcquireResultBufferFn = ::NrAcquireResultBufferFn;
using CommitResultBufferFn = ::NrCommitResultBufferFn;
using InitFn = ::NrInitFn;
using HandleFn = ::NrHandleFn;
using ShutdownFn = ::NrShutdownFn;
using StreamDataFn = ::NrStreamDataFn;
using StreamCloseFn = ::NrStreamCloseFn;
using ResolveEntryFn = ::NrResolveEntryFn;
using HandleByIdFn = ::NrHandleByIdFn;
using GetPluginFn = ::NrGetPluginFn;
using GetManifestFn = ::NrGetManifestFn;
using GetLayoutProbeFn = ::NrGetLayoutProbeFn;

/* ---- views ---- */

namespace detail {

/** Whether an unsigned length fits in To (false only where To is narrower). */
template <typename To, typename From>
constexpr bool fits(From value) noexcept {
    if constexpr (sizeof(From) > sizeof(To)) {
        return value <= static_cast<From>(std::numeric_limits<To>::max());
    } else {
        return true;
    }
}

/** An unsigned length as To, cut at To's maximum instead of wrapping around. */
template <typename To, typename From>
constexpr To clamp(From value) noexcept {
    return fits<To>(value) ? static_cast<To>(value) : std::numeric_limits<To>::max();
}

}  // namespace detail

/** A borrowed, read-only byte range; never holds a NULL pointer with a length. */
class ByteView {
public:
    constexpr ByteView() noexcept = default;
    /** A NULL `data` gives an empty view whatever `size` says. */
    constexpr ByteView(const std::uint8_t *data, std::size_t size) noexcept
        : data_(data), size_(data == nullptr ? 0 : size) {}

    constexpr const std::uint8_t *data() const noexcept { return data_; }
    constexpr std::size_t size() const noexcept { return size_; }
    constexpr bool empty() const noexcept { return size_ == 0; }
    constexpr const std::uint8_t *begin() const noexcept { return data_; }
    constexpr const std::uint8_t *end() const noexcept { return data_ == nullptr ? data_ : data_ + size_; }
    constexpr std::uint8_t operator[](std::size_t index) const noexcept { return data_[index]; }
    /** The bytes as text (no UTF-8 check: compare or copy them, do not trust them). */
    std::string_view as_text() const noexcept {
        return data_ == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char *>(data_), size_);
    }
#if __cplusplus >= 202002L
    constexpr std::span<const std::uint8_t> span() const noexcept { return {data_, size_}; }
#endif

private:
    const std::uint8_t *data_ = nullptr;
    std::size_t size_ = 0;
};

/**
 * Borrowed UTF-8 string view; valid only for the duration of the call that passes it. A
 * NULL pointer reads as empty.
 */
inline std::string_view view(const ::NrStr &value) noexcept {
    if (value.ptr == nullptr || !detail::fits<std::size_t>(value.len)) {
        return {};
    }
    return {reinterpret_cast<const char *>(value.ptr), static_cast<std::size_t>(value.len)};
}

/** A NrStr borrowing `text`; text longer than the length type holds is cut. */
inline ::NrStr make_str(std::string_view text) noexcept {
    ::NrStr out{};
    out.ptr = reinterpret_cast<const std::uint8_t *>(text.data());
    out.len = detail::clamp<std::uint32_t>(text.size());
    return out;
}

/**
 * Borrowed byte slice view; the receiver copies what it keeps beyond the call. A NULL
 * pointer reads as empty.
 */
inline ByteView view(const ::NrBytes &value) noexcept {
    if (!detail::fits<std::size_t>(value.len)) {
        return {};
    }
    return {value.ptr, static_cast<std::size_t>(value.len)};
}
#if __cplusplus >= 202002L

/** The same view as a std::span. */
inline std::span<const std::uint8_t> span(const ::NrBytes &value) noexcept { return view(value).span(); }
#endif

/** A NrBytes borrowing `size` bytes at `data`; a NULL `data` gives an empty one. */
inline ::NrBytes make_bytes(const void *data, std::size_t size) noexcept {
    ::NrBytes out{};
    if (data != nullptr && size != 0) {
        out.ptr = static_cast<const std::uint8_t *>(data);
        out.len = detail::clamp<std::uint64_t>(size);
    }
    return out;
}

/** A NrBytes borrowing a ByteView. */
inline ::NrBytes make_bytes(ByteView bytes) noexcept { return make_bytes(bytes.data(), bytes.size()); }

/** A NrBytes borrowing the bytes of `text`. */
inline ::NrBytes make_bytes(std::string_view text) noexcept { return make_bytes(text.data(), text.size()); }
#if __cplusplus >= 202002L

/** A NrBytes borrowing a span. */
inline ::NrBytes make_bytes(std::span<const std::uint8_t> bytes) noexcept {
    return make_bytes(bytes.data(), bytes.size());
}
#endif

/* ---- helper constructors (reserved fields zero; views borrow, they do not copy) ---- */

/**
 * A host-owned output buffer leased to the plugin for one sid; a NULL ptr means acquire
 * failed and the plugin answers another way.
 */
inline ::NrBufferLease make_buffer_lease(std::uint8_t *ptr, std::uint64_t cap, std::uint64_t token) noexcept {
    ::NrBufferLease nr_out_{};
    nr_out_.ptr = ptr;
    nr_out_.cap = cap;
    nr_out_.token = token;
    return nr_out_;
}

/**
 * What nylon_ring_get_plugin() returns. Append-only: a host accepts struct_size >= 56, and
 * existing fields never move.
 */
inline ::NrPluginInfo make_plugin_info(std::uint32_t abi_version, std::uint32_t struct_size, std::string_view name, std::string_view version, void *plugin_ctx, const ::NrPluginVTable *vtable) noexcept {
    ::NrPluginInfo nr_out_{};
    nr_out_.abi_version = abi_version;
    nr_out_.struct_size = struct_size;
    nr_out_.name = make_str(name);
    nr_out_.version = make_str(version);
    nr_out_.plugin_ctx = plugin_ctx;
    nr_out_.vtable = vtable;
    return nr_out_;
}

/**
 * Sizes, alignments and field offsets as the plugin's own compiler laid them out: for each
 * struct in schema order, its size, its alignment, then the offset of each field.
 */
inline ::NrLayoutProbe make_layout_probe(std::uint32_t probe_version, std::uint32_t count, const std::uint32_t *values) noexcept {
    ::NrLayoutProbe nr_out_{};
    nr_out_.probe_version = probe_version;
    nr_out_.count = count;
    nr_out_.values = values;
    return nr_out_;
}

/* ---- layout checks: the numbers come from nylon-ring's layout engine ---- */

namespace layout {

/** Number of values in the layout table: per struct its size, its alignment, then each field offset. */
inline constexpr std::size_t kCount = 56;

/** The table the layout engine computed for LP64/LLP64. */
inline constexpr std::uint32_t kExpected[kCount] = {
    16u, 8u, 0u, 8u, 12u, 16u, 8u, 0u, 8u, 40u, 8u, 0u,
    8u, 16u, 24u, 25u, 32u, 32u, 8u, 0u, 8u, 16u, 24u, 24u,
    8u, 0u, 8u, 16u, 32u, 8u, 0u, 8u, 16u, 24u, 56u, 8u,
    0u, 8u, 16u, 24u, 32u, 40u, 48u, 56u, 8u, 0u, 4u, 8u,
    24u, 40u, 48u, 16u, 8u, 0u, 4u, 8u,
};

/** The same table as this compiler lays the structs out (what a layout probe reports). */
inline constexpr std::uint32_t kActual[kCount] = {
    static_cast<std::uint32_t>(sizeof(::NrStr)),
    static_cast<std::uint32_t>(alignof(::NrStr)),
    static_cast<std::uint32_t>(offsetof(::NrStr, ptr)),
    static_cast<std::uint32_t>(offsetof(::NrStr, len)),
    static_cast<std::uint32_t>(offsetof(::NrStr, reserved)),
    static_cast<std::uint32_t>(sizeof(::NrBytes)),
    static_cast<std::uint32_t>(alignof(::NrBytes)),
    static_cast<std::uint32_t>(offsetof(::NrBytes, ptr)),
    static_cast<std::uint32_t>(offsetof(::NrBytes, len)),
    static_cast<std::uint32_t>(sizeof(::NrVecU8)),
    static_cast<std::uint32_t>(alignof(::NrVecU8)),
    static_cast<std::uint32_t>(offsetof(::NrVecU8, ptr)),
    static_cast<std::uint32_t>(offsetof(::NrVecU8, len)),
    static_cast<std::uint32_t>(offsetof(::NrVecU8, cap)),
    static_cast<std::uint32_t>(offsetof(::NrVecU8, owned)),
    static_cast<std::uint32_t>(offsetof(::NrVecU8, reserved)),
    static_cast<std::uint32_t>(offsetof(::NrVecU8, drop_fn)),
    static_cast<std::uint32_t>(sizeof(::NrOwnedBytes)),
    static_cast<std::uint32_t>(alignof(::NrOwnedBytes)),
    static_cast<std::uint32_t>(offsetof(::NrOwnedBytes, ptr)),
    static_cast<std::uint32_t>(offsetof(::NrOwnedBytes, len)),
    static_cast<std::uint32_t>(offsetof(::NrOwnedBytes, owner_ctx)),
    static_cast<std::uint32_t>(offsetof(::NrOwnedBytes, release)),
    static_cast<std::uint32_t>(sizeof(::NrBufferLease)),
    static_cast<std::uint32_t>(alignof(::NrBufferLease)),
    static_cast<std::uint32_t>(offsetof(::NrBufferLease, ptr)),
    static_cast<std::uint32_t>(offsetof(::NrBufferLease, cap)),
    static_cast<std::uint32_t>(offsetof(::NrBufferLease, token)),
    static_cast<std::uint32_t>(sizeof(::NrHostVTable)),
    static_cast<std::uint32_t>(alignof(::NrHostVTable)),
    static_cast<std::uint32_t>(offsetof(::NrHostVTable, send_result)),
    static_cast<std::uint32_t>(offsetof(::NrHostVTable, send_result_owned)),
    static_cast<std::uint32_t>(offsetof(::NrHostVTable, acquire_result_buffer)),
    static_cast<std::uint32_t>(offsetof(::NrHostVTable, commit_result_buffer)),
    static_cast<std::uint32_t>(sizeof(::NrPluginVTable)),
    static_cast<std::uint32_t>(alignof(::NrPluginVTable)),
    static_cast<std::uint32_t>(offsetof(::NrPluginVTable, init)),
    static_cast<std::uint32_t>(offsetof(::NrPluginVTable, handle)),
    static_cast<std::uint32_t>(offsetof(::NrPluginVTable, shutdown)),
    static_cast<std::uint32_t>(offsetof(::NrPluginVTable, stream_data)),
    static_cast<std::uint32_t>(offsetof(::NrPluginVTable, stream_close)),
    static_cast<std::uint32_t>(offsetof(::NrPluginVTable, resolve_entry)),
    static_cast<std::uint32_t>(offsetof(::NrPluginVTable, handle_by_id)),
    static_cast<std::uint32_t>(sizeof(::NrPluginInfo)),
    static_cast<std::uint32_t>(alignof(::NrPluginInfo)),
    static_cast<std::uint32_t>(offsetof(::NrPluginInfo, abi_version)),
    static_cast<std::uint32_t>(offsetof(::NrPluginInfo, struct_size)),
    static_cast<std::uint32_t>(offsetof(::NrPluginInfo, name)),
    static_cast<std::uint32_t>(offsetof(::NrPluginInfo, version)),
    static_cast<std::uint32_t>(offsetof(::NrPluginInfo, plugin_ctx)),
    static_cast<std::uint32_t>(offsetof(::NrPluginInfo, vtable)),
    static_cast<std::uint32_t>(sizeof(::NrLayoutProbe)),
    static_cast<std::uint32_t>(alignof(::NrLayoutProbe)),
    static_cast<std::uint32_t>(offsetof(::NrLayoutProbe, probe_version)),
    static_cast<std::uint32_t>(offsetof(::NrLayoutProbe, count)),
    static_cast<std::uint32_t>(offsetof(::NrLayoutProbe, values)),
};

static_assert(kActual[0] == kExpected[0], "NrStr size");
static_assert(kActual[1] == kExpected[1], "NrStr align");
static_assert(kActual[2] == kExpected[2], "NrStr.ptr offset");
static_assert(kActual[3] == kExpected[3], "NrStr.len offset");
static_assert(kActual[4] == kExpected[4], "NrStr.reserved offset");
static_assert(kActual[5] == kExpected[5], "NrBytes size");
static_assert(kActual[6] == kExpected[6], "NrBytes align");
static_assert(kActual[7] == kExpected[7], "NrBytes.ptr offset");
static_assert(kActual[8] == kExpected[8], "NrBytes.len offset");
static_assert(kActual[9] == kExpected[9], "NrVecU8 size");
static_assert(kActual[10] == kExpected[10], "NrVecU8 align");
static_assert(kActual[11] == kExpected[11], "NrVecU8.ptr offset");
static_assert(kActual[12] == kExpected[12], "NrVecU8.len offset");
static_assert(kActual[13] == kExpected[13], "NrVecU8.cap offset");
static_assert(kActual[14] == kExpected[14], "NrVecU8.owned offset");
static_assert(kActual[15] == kExpected[15], "NrVecU8.reserved offset");
static_assert(kActual[16] == kExpected[16], "NrVecU8.drop_fn offset");
static_assert(kActual[17] == kExpected[17], "NrOwnedBytes size");
static_assert(kActual[18] == kExpected[18], "NrOwnedBytes align");
static_assert(kActual[19] == kExpected[19], "NrOwnedBytes.ptr offset");
static_assert(kActual[20] == kExpected[20], "NrOwnedBytes.len offset");
static_assert(kActual[21] == kExpected[21], "NrOwnedBytes.owner_ctx offset");
static_assert(kActual[22] == kExpected[22], "NrOwnedBytes.release offset");
static_assert(kActual[23] == kExpected[23], "NrBufferLease size");
static_assert(kActual[24] == kExpected[24], "NrBufferLease align");
static_assert(kActual[25] == kExpected[25], "NrBufferLease.ptr offset");
static_assert(kActual[26] == kExpected[26], "NrBufferLease.cap offset");
static_assert(kActual[27] == kExpected[27], "NrBufferLease.token offset");
static_assert(kActual[28] == kExpected[28], "NrHostVTable size");
static_assert(kActual[29] == kExpected[29], "NrHostVTable align");
static_assert(kActual[30] == kExpected[30], "NrHostVTable.send_result offset");
static_assert(kActual[31] == kExpected[31], "NrHostVTable.send_result_owned offset");
static_assert(kActual[32] == kExpected[32], "NrHostVTable.acquire_result_buffer offset");
static_assert(kActual[33] == kExpected[33], "NrHostVTable.commit_result_buffer offset");
static_assert(kActual[34] == kExpected[34], "NrPluginVTable size");
static_assert(kActual[35] == kExpected[35], "NrPluginVTable align");
static_assert(kActual[36] == kExpected[36], "NrPluginVTable.init offset");
static_assert(kActual[37] == kExpected[37], "NrPluginVTable.handle offset");
static_assert(kActual[38] == kExpected[38], "NrPluginVTable.shutdown offset");
static_assert(kActual[39] == kExpected[39], "NrPluginVTable.stream_data offset");
static_assert(kActual[40] == kExpected[40], "NrPluginVTable.stream_close offset");
static_assert(kActual[41] == kExpected[41], "NrPluginVTable.resolve_entry offset");
static_assert(kActual[42] == kExpected[42], "NrPluginVTable.handle_by_id offset");
static_assert(kActual[43] == kExpected[43], "NrPluginInfo size");
static_assert(kActual[44] == kExpected[44], "NrPluginInfo align");
static_assert(kActual[45] == kExpected[45], "NrPluginInfo.abi_version offset");
static_assert(kActual[46] == kExpected[46], "NrPluginInfo.struct_size offset");
static_assert(kActual[47] == kExpected[47], "NrPluginInfo.name offset");
static_assert(kActual[48] == kExpected[48], "NrPluginInfo.version offset");
static_assert(kActual[49] == kExpected[49], "NrPluginInfo.plugin_ctx offset");
static_assert(kActual[50] == kExpected[50], "NrPluginInfo.vtable offset");
static_assert(kActual[51] == kExpected[51], "NrLayoutProbe size");
static_assert(kActual[52] == kExpected[52], "NrLayoutProbe align");
static_assert(kActual[53] == kExpected[53], "NrLayoutProbe.probe_version offset");
static_assert(kActual[54] == kExpected[54], "NrLayoutProbe.count offset");
static_assert(kActual[55] == kExpected[55], "NrLayoutProbe.values offset");

}  // namespace layout

}  // namespace nylon_ring

#endif /* NYLON_RING_HPP */

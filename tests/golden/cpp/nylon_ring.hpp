/* Generated from schema/abi.toml (schema sha256 75f3b9eebfb86c19) by nylon-ring-sdk; do not edit. */
/* Regenerate with: nylon-ring gen-bindings --abi 1 */
/** nylon-ring: an ABI-stable host/plugin interface for high-performance proxies. */
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

/** The ABI version a plugin writes into NrPluginInfo.abi_version and a host requires. */
inline constexpr std::uint32_t kAbiVersion = NR_ABI_VERSION;

/** Version of the NrLayoutProbe table format. */
inline constexpr std::uint32_t kLayoutProbeVersion = NR_LAYOUT_PROBE_VERSION;

/* ---- enums ---- */

/** Outcome of a call or of one result frame. */
enum class Status : std::uint32_t {
    /** Success; for streams, one more frame follows. */
    Ok = NR_STATUS_OK,
    /** Runtime error (also what a caught panic or exception becomes). */
    Err = NR_STATUS_ERR,
    /** Bad input: malformed request, NULL pointer, unknown stream id. */
    Invalid = NR_STATUS_INVALID,
    /** The operation or entry is not implemented. */
    Unsupported = NR_STATUS_UNSUPPORTED,
    /** Normal end of a stream: the terminal frame. */
    StreamEnd = NR_STATUS_STREAM_END,
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
    }
    return {};
}

/* ---- short names for the C types ---- */

using Str = ::NrStr;
using Bytes = ::NrBytes;
using Header = ::NrHeader;
using Request = ::NrRequest;
using HostVTable = ::NrHostVTable;
using HostExt = ::NrHostExt;
using PluginVTable = ::NrPluginVTable;
using PluginInfo = ::NrPluginInfo;
using LayoutProbe = ::NrLayoutProbe;
using SendResultFn = ::NrSendResultFn;
using SetStateFn = ::NrSetStateFn;
using GetStateFn = ::NrGetStateFn;
using InitFn = ::NrInitFn;
using HandleFn = ::NrHandleFn;
using HandleRawFn = ::NrHandleRawFn;
using ShutdownFn = ::NrShutdownFn;
using StreamDataFn = ::NrStreamDataFn;
using StreamCloseFn = ::NrStreamCloseFn;
using GetPluginFn = ::NrGetPluginFn;
using SetHostExtFn = ::NrSetHostExtFn;
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

/** One HTTP-style header: a key and a value. */
inline ::NrHeader make_header(std::string_view key, std::string_view value) noexcept {
    ::NrHeader nr_out_{};
    nr_out_.key = make_str(key);
    nr_out_.value = make_str(value);
    return nr_out_;
}

/** Request metadata passed to handle(); HTTP-centric but protocol-neutral. */
inline ::NrRequest make_request(std::string_view path, std::string_view method, std::string_view query, const ::NrHeader *headers, std::uint32_t headers_len) noexcept {
    ::NrRequest nr_out_{};
    nr_out_.path = make_str(path);
    nr_out_.method = make_str(method);
    nr_out_.query = make_str(query);
    nr_out_.headers = headers;
    nr_out_.headers_len = headers_len;
    return nr_out_;
}

/** What nylon_ring_get_plugin_v1() returns: identity, context and vtable of the plugin. */
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
inline constexpr std::size_t kCount = 49;

#if UINTPTR_MAX > 0xFFFFFFFFu
/** The table the layout engine computed for LP64/LLP64. */
inline constexpr std::uint32_t kExpected[kCount] = {
    16u, 8u, 0u, 8u, 16u, 8u, 0u, 8u, 32u, 8u, 0u, 16u,
    72u, 8u, 0u, 16u, 32u, 48u, 56u, 60u, 64u, 8u, 8u, 0u,
    16u, 8u, 0u, 8u, 48u, 8u, 0u, 8u, 16u, 24u, 32u, 40u,
    56u, 8u, 0u, 4u, 8u, 24u, 40u, 48u, 16u, 8u, 0u, 4u,
    8u,
};
#elif defined(__i386__) && !defined(_WIN32)
/** The table the layout engine computed for ILP32-I386. */
inline constexpr std::uint32_t kExpected[kCount] = {
    8u, 4u, 0u, 4u, 12u, 4u, 0u, 4u, 16u, 4u, 0u, 8u,
    44u, 4u, 0u, 8u, 16u, 24u, 28u, 32u, 36u, 4u, 4u, 0u,
    8u, 4u, 0u, 4u, 24u, 4u, 0u, 4u, 8u, 12u, 16u, 20u,
    32u, 4u, 0u, 4u, 8u, 16u, 24u, 28u, 12u, 4u, 0u, 4u,
    8u,
};
#else
/** The table the layout engine computed for ILP32. */
inline constexpr std::uint32_t kExpected[kCount] = {
    8u, 4u, 0u, 4u, 16u, 8u, 0u, 8u, 16u, 4u, 0u, 8u,
    48u, 8u, 0u, 8u, 16u, 24u, 28u, 32u, 40u, 4u, 4u, 0u,
    8u, 4u, 0u, 4u, 24u, 4u, 0u, 4u, 8u, 12u, 16u, 20u,
    32u, 4u, 0u, 4u, 8u, 16u, 24u, 28u, 12u, 4u, 0u, 4u,
    8u,
};
#endif

/** The same table as this compiler lays the structs out (what a layout probe reports). */
inline constexpr std::uint32_t kActual[kCount] = {
    static_cast<std::uint32_t>(sizeof(::NrStr)),
    static_cast<std::uint32_t>(alignof(::NrStr)),
    static_cast<std::uint32_t>(offsetof(::NrStr, ptr)),
    static_cast<std::uint32_t>(offsetof(::NrStr, len)),
    static_cast<std::uint32_t>(sizeof(::NrBytes)),
    static_cast<std::uint32_t>(alignof(::NrBytes)),
    static_cast<std::uint32_t>(offsetof(::NrBytes, ptr)),
    static_cast<std::uint32_t>(offsetof(::NrBytes, len)),
    static_cast<std::uint32_t>(sizeof(::NrHeader)),
    static_cast<std::uint32_t>(alignof(::NrHeader)),
    static_cast<std::uint32_t>(offsetof(::NrHeader, key)),
    static_cast<std::uint32_t>(offsetof(::NrHeader, value)),
    static_cast<std::uint32_t>(sizeof(::NrRequest)),
    static_cast<std::uint32_t>(alignof(::NrRequest)),
    static_cast<std::uint32_t>(offsetof(::NrRequest, path)),
    static_cast<std::uint32_t>(offsetof(::NrRequest, method)),
    static_cast<std::uint32_t>(offsetof(::NrRequest, query)),
    static_cast<std::uint32_t>(offsetof(::NrRequest, headers)),
    static_cast<std::uint32_t>(offsetof(::NrRequest, headers_len)),
    static_cast<std::uint32_t>(offsetof(::NrRequest, _reserved0)),
    static_cast<std::uint32_t>(offsetof(::NrRequest, _reserved1)),
    static_cast<std::uint32_t>(sizeof(::NrHostVTable)),
    static_cast<std::uint32_t>(alignof(::NrHostVTable)),
    static_cast<std::uint32_t>(offsetof(::NrHostVTable, send_result)),
    static_cast<std::uint32_t>(sizeof(::NrHostExt)),
    static_cast<std::uint32_t>(alignof(::NrHostExt)),
    static_cast<std::uint32_t>(offsetof(::NrHostExt, set_state)),
    static_cast<std::uint32_t>(offsetof(::NrHostExt, get_state)),
    static_cast<std::uint32_t>(sizeof(::NrPluginVTable)),
    static_cast<std::uint32_t>(alignof(::NrPluginVTable)),
    static_cast<std::uint32_t>(offsetof(::NrPluginVTable, init)),
    static_cast<std::uint32_t>(offsetof(::NrPluginVTable, handle)),
    static_cast<std::uint32_t>(offsetof(::NrPluginVTable, handle_raw)),
    static_cast<std::uint32_t>(offsetof(::NrPluginVTable, shutdown)),
    static_cast<std::uint32_t>(offsetof(::NrPluginVTable, stream_data)),
    static_cast<std::uint32_t>(offsetof(::NrPluginVTable, stream_close)),
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
static_assert(kActual[4] == kExpected[4], "NrBytes size");
static_assert(kActual[5] == kExpected[5], "NrBytes align");
static_assert(kActual[6] == kExpected[6], "NrBytes.ptr offset");
static_assert(kActual[7] == kExpected[7], "NrBytes.len offset");
static_assert(kActual[8] == kExpected[8], "NrHeader size");
static_assert(kActual[9] == kExpected[9], "NrHeader align");
static_assert(kActual[10] == kExpected[10], "NrHeader.key offset");
static_assert(kActual[11] == kExpected[11], "NrHeader.value offset");
static_assert(kActual[12] == kExpected[12], "NrRequest size");
static_assert(kActual[13] == kExpected[13], "NrRequest align");
static_assert(kActual[14] == kExpected[14], "NrRequest.path offset");
static_assert(kActual[15] == kExpected[15], "NrRequest.method offset");
static_assert(kActual[16] == kExpected[16], "NrRequest.query offset");
static_assert(kActual[17] == kExpected[17], "NrRequest.headers offset");
static_assert(kActual[18] == kExpected[18], "NrRequest.headers_len offset");
static_assert(kActual[19] == kExpected[19], "NrRequest._reserved0 offset");
static_assert(kActual[20] == kExpected[20], "NrRequest._reserved1 offset");
static_assert(kActual[21] == kExpected[21], "NrHostVTable size");
static_assert(kActual[22] == kExpected[22], "NrHostVTable align");
static_assert(kActual[23] == kExpected[23], "NrHostVTable.send_result offset");
static_assert(kActual[24] == kExpected[24], "NrHostExt size");
static_assert(kActual[25] == kExpected[25], "NrHostExt align");
static_assert(kActual[26] == kExpected[26], "NrHostExt.set_state offset");
static_assert(kActual[27] == kExpected[27], "NrHostExt.get_state offset");
static_assert(kActual[28] == kExpected[28], "NrPluginVTable size");
static_assert(kActual[29] == kExpected[29], "NrPluginVTable align");
static_assert(kActual[30] == kExpected[30], "NrPluginVTable.init offset");
static_assert(kActual[31] == kExpected[31], "NrPluginVTable.handle offset");
static_assert(kActual[32] == kExpected[32], "NrPluginVTable.handle_raw offset");
static_assert(kActual[33] == kExpected[33], "NrPluginVTable.shutdown offset");
static_assert(kActual[34] == kExpected[34], "NrPluginVTable.stream_data offset");
static_assert(kActual[35] == kExpected[35], "NrPluginVTable.stream_close offset");
static_assert(kActual[36] == kExpected[36], "NrPluginInfo size");
static_assert(kActual[37] == kExpected[37], "NrPluginInfo align");
static_assert(kActual[38] == kExpected[38], "NrPluginInfo.abi_version offset");
static_assert(kActual[39] == kExpected[39], "NrPluginInfo.struct_size offset");
static_assert(kActual[40] == kExpected[40], "NrPluginInfo.name offset");
static_assert(kActual[41] == kExpected[41], "NrPluginInfo.version offset");
static_assert(kActual[42] == kExpected[42], "NrPluginInfo.plugin_ctx offset");
static_assert(kActual[43] == kExpected[43], "NrPluginInfo.vtable offset");
static_assert(kActual[44] == kExpected[44], "NrLayoutProbe size");
static_assert(kActual[45] == kExpected[45], "NrLayoutProbe align");
static_assert(kActual[46] == kExpected[46], "NrLayoutProbe.probe_version offset");
static_assert(kActual[47] == kExpected[47], "NrLayoutProbe.count offset");
static_assert(kActual[48] == kExpected[48], "NrLayoutProbe.values offset");

}  // namespace layout

}  // namespace nylon_ring

#endif /* NYLON_RING_HPP */

/* Generated from awkward.toml (schema sha256 c43eb4abc9c6e8c8) by nylon-ring-sdk; do not edit. */
/* Regenerate with: nylon-ring gen-bindings --schema awkward.toml */
/** Awkward names and layouts on purpose. */
/*
 * C++17 layer over nylon_ring.h: enum classes, NULL-safe views, helper constructors
 * and compile-time layout checks. std::span overloads appear under C++20.
 */
#ifndef AWKWARD_HPP
#define AWKWARD_HPP

#include "nylon_ring.h"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#if __cplusplus >= 202002L
#include <span>
#endif

namespace awkward {

/* ---- constants ---- */

/** Largest u64. */
inline constexpr std::uint64_t kMaxResult = MAX_RESULT;

/** Smallest i32. */
inline constexpr std::int32_t kMinType = MIN_TYPE;

/* ---- enums ---- */

/** An enum with keyword-ish value names and a non-u32 repr. */
enum class Kind : std::uint8_t {
    /** Type. */
    type = KIND_TYPE,
    /** Func. */
    func = KIND_FUNC,
    /** Match. */
    match = KIND_MATCH,
    /** None. */
    None = KIND_NONE,
};
static_assert(sizeof(Kind) == sizeof(::Kind), "Kind has the width of Kind");

/** The C value of a Kind. */
constexpr ::Kind to_c(Kind value) noexcept { return static_cast<::Kind>(value); }

/** A raw Kind as a Kind; std::nullopt for a value foreign code made up. */
constexpr std::optional<Kind> to_kind(::Kind raw) noexcept {
    switch (raw) {
    case KIND_TYPE: return Kind::type;
    case KIND_FUNC: return Kind::func;
    case KIND_MATCH: return Kind::match;
    case KIND_NONE: return Kind::None;
    default: return std::nullopt;
    }
}

/** The member's name as the schema spells it. */
constexpr std::string_view to_string(Kind value) noexcept {
    switch (value) {
    case Kind::type: return "type";
    case Kind::func: return "func";
    case Kind::match: return "match";
    case Kind::None: return "None";
    }
    return {};
}


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

/* ---- helper constructors (reserved fields zero; views borrow, they do not copy) ---- */

/* ---- layout checks: the numbers come from nylon-ring's layout engine ---- */

namespace layout {

/** Number of values in the layout table: per struct its size, its alignment, then each field offset. */
inline constexpr std::size_t kCount = 21;

#if UINTPTR_MAX > 0xFFFFFFFFu
/** The table the layout engine computed for LP64/LLP64. */
inline constexpr std::uint32_t kExpected[kCount] = {
    40u, 8u, 0u, 8u, 16u, 18u, 20u, 23u, 24u, 32u, 144u, 8u,
    0u, 80u, 88u, 96u, 104u, 112u, 120u, 128u, 136u,
};
#elif defined(__i386__) && !defined(_WIN32)
/** The table the layout engine computed for ILP32-I386. */
inline constexpr std::uint32_t kExpected[kCount] = {
    32u, 4u, 0u, 4u, 12u, 14u, 16u, 19u, 20u, 28u, 100u, 4u,
    0u, 64u, 68u, 72u, 76u, 80u, 84u, 88u, 92u,
};
#else
/** The table the layout engine computed for ILP32. */
inline constexpr std::uint32_t kExpected[kCount] = {
    40u, 8u, 0u, 8u, 16u, 18u, 20u, 23u, 24u, 32u, 120u, 8u,
    0u, 80u, 84u, 88u, 92u, 96u, 100u, 104u, 108u,
};
#endif

/** The same table as this compiler lays the structs out (what a layout probe reports). */
inline constexpr std::uint32_t kActual[kCount] = {
    static_cast<std::uint32_t>(sizeof(::Padded)),
    static_cast<std::uint32_t>(alignof(::Padded)),
    static_cast<std::uint32_t>(offsetof(::Padded, type)),
    static_cast<std::uint32_t>(offsetof(::Padded, result)),
    static_cast<std::uint32_t>(offsetof(::Padded, func)),
    static_cast<std::uint32_t>(offsetof(::Padded, select)),
    static_cast<std::uint32_t>(offsetof(::Padded, fn)),
    static_cast<std::uint32_t>(offsetof(::Padded, kind)),
    static_cast<std::uint32_t>(offsetof(::Padded, error)),
    static_cast<std::uint32_t>(offsetof(::Padded, async)),
    static_cast<std::uint32_t>(sizeof(::Holder)),
    static_cast<std::uint32_t>(alignof(::Holder)),
    static_cast<std::uint32_t>(offsetof(::Holder, match)),
    static_cast<std::uint32_t>(offsetof(::Holder, class_)),
    static_cast<std::uint32_t>(offsetof(::Holder, range)),
    static_cast<std::uint32_t>(offsetof(::Holder, len)),
    static_cast<std::uint32_t>(offsetof(::Holder, diff)),
    static_cast<std::uint32_t>(offsetof(::Holder, ratio)),
    static_cast<std::uint32_t>(offsetof(::Holder, next)),
    static_cast<std::uint32_t>(offsetof(::Holder, callback)),
    static_cast<std::uint32_t>(offsetof(::Holder, _reserved)),
};

static_assert(kActual[0] == kExpected[0], "Padded size");
static_assert(kActual[1] == kExpected[1], "Padded align");
static_assert(kActual[2] == kExpected[2], "Padded.type offset");
static_assert(kActual[3] == kExpected[3], "Padded.result offset");
static_assert(kActual[4] == kExpected[4], "Padded.func offset");
static_assert(kActual[5] == kExpected[5], "Padded.select offset");
static_assert(kActual[6] == kExpected[6], "Padded.fn offset");
static_assert(kActual[7] == kExpected[7], "Padded.kind offset");
static_assert(kActual[8] == kExpected[8], "Padded.error offset");
static_assert(kActual[9] == kExpected[9], "Padded.async offset");
static_assert(kActual[10] == kExpected[10], "Holder size");
static_assert(kActual[11] == kExpected[11], "Holder align");
static_assert(kActual[12] == kExpected[12], "Holder.match offset");
static_assert(kActual[13] == kExpected[13], "Holder.class offset");
static_assert(kActual[14] == kExpected[14], "Holder.range offset");
static_assert(kActual[15] == kExpected[15], "Holder.len offset");
static_assert(kActual[16] == kExpected[16], "Holder.diff offset");
static_assert(kActual[17] == kExpected[17], "Holder.ratio offset");
static_assert(kActual[18] == kExpected[18], "Holder.next offset");
static_assert(kActual[19] == kExpected[19], "Holder.callback offset");
static_assert(kActual[20] == kExpected[20], "Holder._reserved offset");

}  // namespace layout

}  // namespace awkward

#endif /* AWKWARD_HPP */

/* Generated from awkward.toml (schema sha256 c43eb4abc9c6e8c8) by nylon-ring-sdk; do not edit. */
/* Regenerate with: nylon-ring gen-bindings --schema awkward.toml */
/** Awkward names and layouts on purpose. */
#ifndef AWKWARD_H
#define AWKWARD_H

/*
 * Language: C11 or later (_Static_assert, _Alignof), or C++11 or later; the header is
 * C++ clean and declares everything extern "C" there.
 */
#if !defined(__cplusplus) && (!defined(__STDC_VERSION__) || __STDC_VERSION__ < 201112L)
#error "nylon_ring.h requires C11 or later (compile with -std=c11, or as C++11 or later)"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(_WIN32) || defined(__CYGWIN__)
#define NR_EXPORT __declspec(dllexport)
#elif defined(__GNUC__) || defined(__clang__)
#define NR_EXPORT __attribute__((visibility("default")))
#else
#define NR_EXPORT
#endif

#ifdef __cplusplus
#define NR_EXTERN_C extern "C"
#define NR__STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#define NR__ALIGNOF(type) alignof(type)
extern "C" {
#else
#define NR_EXTERN_C
#define NR__STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#define NR__ALIGNOF(type) _Alignof(type)
#endif

/** Largest u64. */
#define MAX_RESULT UINT64_MAX
/** Smallest i32. */
#define MIN_TYPE INT32_MIN

typedef struct Padded Padded;
typedef struct Holder Holder;

/** An enum with keyword-ish value names and a non-u32 repr. */
typedef uint8_t Kind;
enum {
    /** Type. */
    KIND_TYPE = 0,
    /** Func. */
    KIND_FUNC = 1,
    /** Match. */
    KIND_MATCH = 7,
    /** None. */
    KIND_NONE = 255,
};

/** Every field forces padding. */
struct Padded {
    /** A byte named type. */
    uint8_t type;
    /** Eight bytes after seven of padding. */
    uint64_t result;
    /** Another byte. */
    uint8_t func;
    /** Go keyword. */
    uint16_t select;
    /** Rust and Zig keyword, an odd array. */
    uint8_t fn[3];
    /** A one-byte enum. */
    Kind kind;
    /** Zig keyword. */
    double error;
    /** Rust and Python keyword. */
    bool async;
};

/** Takes structs by value and by pointer. */
typedef Kind (*Visit)(void *type, Padded result, const Holder *holder);

/** Arrays of structs, nested structs, pointer to pointer, sized integers. */
struct Holder {
    /** Array of padded structs. */
    Padded match[2];
    /** C++ keyword. */
    int8_t class_;
    /** Pointer to pointer. */
    uint8_t *const *range;
    /** Pointer-sized. */
    size_t len;
    /** Signed pointer-sized. */
    ptrdiff_t diff;
    /** A float. */
    float ratio;
    /** Self-reference through a pointer. */
    Holder *next;
    /** Nullable function pointer. */
    Visit callback;
    /** Reserved. */
    uint32_t _reserved[2];
};

/** Entry symbol signature. */
typedef const Holder *(*GetHolder)(void);

/* ---- exported symbols ---- */

/** Entry symbol. */
NR_EXPORT const Holder *awkward_get_holder(void);

/* ---- layout checks: the numbers come from nylon-ring's layout engine ---- */
#if UINTPTR_MAX > 0xFFFFFFFFu
/* LP64/LLP64 */
NR__STATIC_ASSERT(sizeof(Padded) == 40, "Padded size");
NR__STATIC_ASSERT(NR__ALIGNOF(Padded) == 8, "Padded align");
NR__STATIC_ASSERT(offsetof(Padded, type) == 0, "Padded.type offset");
NR__STATIC_ASSERT(offsetof(Padded, result) == 8, "Padded.result offset");
NR__STATIC_ASSERT(offsetof(Padded, func) == 16, "Padded.func offset");
NR__STATIC_ASSERT(offsetof(Padded, select) == 18, "Padded.select offset");
NR__STATIC_ASSERT(offsetof(Padded, fn) == 20, "Padded.fn offset");
NR__STATIC_ASSERT(offsetof(Padded, kind) == 23, "Padded.kind offset");
NR__STATIC_ASSERT(offsetof(Padded, error) == 24, "Padded.error offset");
NR__STATIC_ASSERT(offsetof(Padded, async) == 32, "Padded.async offset");
NR__STATIC_ASSERT(sizeof(Holder) == 144, "Holder size");
NR__STATIC_ASSERT(NR__ALIGNOF(Holder) == 8, "Holder align");
NR__STATIC_ASSERT(offsetof(Holder, match) == 0, "Holder.match offset");
NR__STATIC_ASSERT(offsetof(Holder, class_) == 80, "Holder.class offset");
NR__STATIC_ASSERT(offsetof(Holder, range) == 88, "Holder.range offset");
NR__STATIC_ASSERT(offsetof(Holder, len) == 96, "Holder.len offset");
NR__STATIC_ASSERT(offsetof(Holder, diff) == 104, "Holder.diff offset");
NR__STATIC_ASSERT(offsetof(Holder, ratio) == 112, "Holder.ratio offset");
NR__STATIC_ASSERT(offsetof(Holder, next) == 120, "Holder.next offset");
NR__STATIC_ASSERT(offsetof(Holder, callback) == 128, "Holder.callback offset");
NR__STATIC_ASSERT(offsetof(Holder, _reserved) == 136, "Holder._reserved offset");
#elif defined(__i386__) && !defined(_WIN32)
/* ILP32-I386 */
NR__STATIC_ASSERT(sizeof(Padded) == 32, "Padded size");
NR__STATIC_ASSERT(NR__ALIGNOF(Padded) == 4, "Padded align");
NR__STATIC_ASSERT(offsetof(Padded, type) == 0, "Padded.type offset");
NR__STATIC_ASSERT(offsetof(Padded, result) == 4, "Padded.result offset");
NR__STATIC_ASSERT(offsetof(Padded, func) == 12, "Padded.func offset");
NR__STATIC_ASSERT(offsetof(Padded, select) == 14, "Padded.select offset");
NR__STATIC_ASSERT(offsetof(Padded, fn) == 16, "Padded.fn offset");
NR__STATIC_ASSERT(offsetof(Padded, kind) == 19, "Padded.kind offset");
NR__STATIC_ASSERT(offsetof(Padded, error) == 20, "Padded.error offset");
NR__STATIC_ASSERT(offsetof(Padded, async) == 28, "Padded.async offset");
NR__STATIC_ASSERT(sizeof(Holder) == 100, "Holder size");
NR__STATIC_ASSERT(NR__ALIGNOF(Holder) == 4, "Holder align");
NR__STATIC_ASSERT(offsetof(Holder, match) == 0, "Holder.match offset");
NR__STATIC_ASSERT(offsetof(Holder, class_) == 64, "Holder.class offset");
NR__STATIC_ASSERT(offsetof(Holder, range) == 68, "Holder.range offset");
NR__STATIC_ASSERT(offsetof(Holder, len) == 72, "Holder.len offset");
NR__STATIC_ASSERT(offsetof(Holder, diff) == 76, "Holder.diff offset");
NR__STATIC_ASSERT(offsetof(Holder, ratio) == 80, "Holder.ratio offset");
NR__STATIC_ASSERT(offsetof(Holder, next) == 84, "Holder.next offset");
NR__STATIC_ASSERT(offsetof(Holder, callback) == 88, "Holder.callback offset");
NR__STATIC_ASSERT(offsetof(Holder, _reserved) == 92, "Holder._reserved offset");
#else
/* ILP32 */
NR__STATIC_ASSERT(sizeof(Padded) == 40, "Padded size");
NR__STATIC_ASSERT(NR__ALIGNOF(Padded) == 8, "Padded align");
NR__STATIC_ASSERT(offsetof(Padded, type) == 0, "Padded.type offset");
NR__STATIC_ASSERT(offsetof(Padded, result) == 8, "Padded.result offset");
NR__STATIC_ASSERT(offsetof(Padded, func) == 16, "Padded.func offset");
NR__STATIC_ASSERT(offsetof(Padded, select) == 18, "Padded.select offset");
NR__STATIC_ASSERT(offsetof(Padded, fn) == 20, "Padded.fn offset");
NR__STATIC_ASSERT(offsetof(Padded, kind) == 23, "Padded.kind offset");
NR__STATIC_ASSERT(offsetof(Padded, error) == 24, "Padded.error offset");
NR__STATIC_ASSERT(offsetof(Padded, async) == 32, "Padded.async offset");
NR__STATIC_ASSERT(sizeof(Holder) == 120, "Holder size");
NR__STATIC_ASSERT(NR__ALIGNOF(Holder) == 8, "Holder align");
NR__STATIC_ASSERT(offsetof(Holder, match) == 0, "Holder.match offset");
NR__STATIC_ASSERT(offsetof(Holder, class_) == 80, "Holder.class offset");
NR__STATIC_ASSERT(offsetof(Holder, range) == 84, "Holder.range offset");
NR__STATIC_ASSERT(offsetof(Holder, len) == 88, "Holder.len offset");
NR__STATIC_ASSERT(offsetof(Holder, diff) == 92, "Holder.diff offset");
NR__STATIC_ASSERT(offsetof(Holder, ratio) == 96, "Holder.ratio offset");
NR__STATIC_ASSERT(offsetof(Holder, next) == 100, "Holder.next offset");
NR__STATIC_ASSERT(offsetof(Holder, callback) == 104, "Holder.callback offset");
NR__STATIC_ASSERT(offsetof(Holder, _reserved) == 108, "Holder._reserved offset");
#endif

/**
 * Defines the optional () export: the layout table as this
 * compiler laid it out. Use it once in one source file of a plugin.
 */
#define NR_DEFINE_LAYOUT_PROBE() \
    static const uint32_t nr__layout_values[] = { \
        (uint32_t)sizeof(Padded), \
        (uint32_t)NR__ALIGNOF(Padded), \
        (uint32_t)offsetof(Padded, type), \
        (uint32_t)offsetof(Padded, result), \
        (uint32_t)offsetof(Padded, func), \
        (uint32_t)offsetof(Padded, select), \
        (uint32_t)offsetof(Padded, fn), \
        (uint32_t)offsetof(Padded, kind), \
        (uint32_t)offsetof(Padded, error), \
        (uint32_t)offsetof(Padded, async), \
        (uint32_t)sizeof(Holder), \
        (uint32_t)NR__ALIGNOF(Holder), \
        (uint32_t)offsetof(Holder, match), \
        (uint32_t)offsetof(Holder, class_), \
        (uint32_t)offsetof(Holder, range), \
        (uint32_t)offsetof(Holder, len), \
        (uint32_t)offsetof(Holder, diff), \
        (uint32_t)offsetof(Holder, ratio), \
        (uint32_t)offsetof(Holder, next), \
        (uint32_t)offsetof(Holder, callback), \
        (uint32_t)offsetof(Holder, _reserved), \
    }; \
    static const  nr__layout_probe = { \
        1u, (uint32_t)(sizeof(nr__layout_values) / sizeof(nr__layout_values[0])), nr__layout_values}; \
    NR_EXTERN_C NR_EXPORT const  *(void) { return &nr__layout_probe; }

#ifdef __cplusplus
}
#endif

#endif /* AWKWARD_H */

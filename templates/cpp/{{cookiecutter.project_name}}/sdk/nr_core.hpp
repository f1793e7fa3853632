/*
 * nr_core.hpp: the generation-independent core of the header-only C++17 SDK for
 * nylon-ring plugins. Include sdk/nr_plugin.hpp, not this file: the generation layer
 * (nr_abi1.hpp or nr_abi2.hpp) defines how the host is called (namespace abi), then
 * includes this core, then defines the vtable and the exported symbols on top of it.
 *
 * What the core keeps, whatever the generation:
 *
 *  - routing by entry name (one probe of a hash table built when the plugin is
 *    defined) and by entry id (the index in the route table); an unknown name is
 *    answered Unsupported (Invalid when it is not valid UTF-8); NULL pointers with a
 *    length: Invalid;
 *  - try/catch(...) at every boundary: an exception becomes a Panic answer (Err on
 *    ABI 1, which has no Panic status), never an unwind into the host;
 *  - a Responder answers a unary call once and ends a stream once (later sends are
 *    dropped); its destructor answers Err for a handler that forgot to; a zero-copy
 *    answer or a committed lease counts as that one answer;
 *  - Backpressure (a full host stream queue) is not terminal: try_frame() returns it,
 *    frame() retries when it runs off the host's thread, a terminal frame is always
 *    retried (from the pool when it was refused inside a host call);
 *  - background entries and spawn() run on a bounded pool of worker threads fed by a
 *    bounded queue: a full queue refuses the call (Backpressure on ABI 2), a burst of
 *    calls wakes one worker rather than one per call, and awake workers take several
 *    queued tasks at a time;
 *  - shutdown runs what is queued, waits for every task, joins the workers, ends open
 *    bidirectional streams, and after it returns nothing calls the host;
 *  - panic probes (Plugin::probe) answer Unsupported unless NYLON_RING_ENABLE_PROBES=1
 *    was set when init ran;
 *  - the embedded manifest (manifest_text()) is written from the route table.
 *
 * The synchronous path allocates nothing, takes no lock and writes no shared memory,
 * so host threads calling in parallel do not slow each other down.
 */
#ifndef NR_CORE_HPP
#define NR_CORE_HPP

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "nylon_ring.hpp"

#if defined(__GNUC__) || defined(__clang__)
#define NR_PLUGIN_NOINLINE __attribute__((noinline))
#else
#define NR_PLUGIN_NOINLINE
#endif

namespace nylon_ring::sdk {

using nylon_ring::ByteView;
using nylon_ring::Status;

/** What an entry sends back. */
enum class Kind {
    Unary,   ///< exactly one answer
    Stream,  ///< Ok frames, then exactly one terminal frame
    Bidi,    ///< a stream that also receives the host's frames and close
};

/** Where an entry's handler runs. */
enum class Run {
    Sync,        ///< on the host's thread, inside handle (the fast path: keep it short)
    Background,  ///< on a worker of the background pool, with a copy of the request; joined at shutdown
};

/** What happened to a send. */
enum class Sent {
    Sent,          ///< handed to the host, which took it
    Ended,         ///< dropped: the call already had its answer or terminal frame
    ShutDown,      ///< dropped: the plugin has been shut down
    WrongKind,     ///< not sent: frames and end() belong to streams, leases to unary calls
    Backpressure,  ///< not taken: the host's stream queue is full; the frame may be sent again
    Refused,       ///< not taken: the host answered an error status (unknown sid, bad lease)
};

/** A host buffer leased for one unary answer (ABI 2); false when acquire failed. */
struct Lease {
    std::uint8_t *data = nullptr;  ///< capacity writable bytes, until commit or another answer
    std::size_t capacity = 0;
    std::uint64_t token = 0;
    explicit operator bool() const noexcept { return data != nullptr; }
};

namespace detail {

constexpr std::size_t kCacheLine = 64;
constexpr std::size_t kGateStripes = 16;

/** One counter of calls into the host in progress, on a cache line of its own. */
struct alignas(kCacheLine) Stripe {
    std::atomic<std::size_t> callers{0};
};

/**
 * The host as init handed it over. Constant-initialised and trivially destructible,
 * so reaching it costs no guard and it outlives every thread.
 */
struct Host {
    void *ctx = nullptr;
    abi::HostFns fns{};
    std::atomic<bool> live{false};      // init done, shutdown not finished
    std::atomic<bool> stopping{false};  // shutdown has begun: no new work
    std::atomic<bool> probes{false};    // NYLON_RING_ENABLE_PROBES=1 when init ran
    // calls into the host in progress from threads that may race shutdown, spread by sid
    Stripe callers[kGateStripes];
};

inline Host g_host;

inline Host &host() noexcept { return g_host; }

inline std::atomic<std::size_t> &stripe_of(std::uint64_t sid) noexcept {
    static_assert(kGateStripes == 16, "a stripe is picked by the top 4 bits of a hash");
    return host().callers[(sid * UINT64_C(0x9E3779B97F4A7C15)) >> 60].callers;
}

/** Every call into the host from a thread that may race shutdown passes this gate, so
 * shutdown can wait for the last one. */
class Gate {
public:
    explicit Gate(std::uint64_t sid) noexcept : counter_(stripe_of(sid)), open_(enter()) {}
    ~Gate() {
        if (open_) counter_.fetch_sub(1);
    }
    Gate(const Gate &) = delete;
    Gate &operator=(const Gate &) = delete;
    explicit operator bool() const noexcept { return open_; }

private:
    bool enter() noexcept {
        counter_.fetch_add(1);
        if (host().live.load()) return true;
        counter_.fetch_sub(1);
        return false;
    }
    std::atomic<std::size_t> &counter_;
    bool open_;
};

/** Shutdown's last step: no call enters the host after this returns. */
inline void close_gate() noexcept {
    host().live.store(false);
    for (Stripe &stripe : host().callers) {
        while (stripe.callers.load() != 0) std::this_thread::yield();
    }
    abi::host_closed();
}

/**
 * Runs `call` (a call into the host) when the plugin is live. A `shared` caller may run
 * on any thread, so it passes the gate; an unshared one runs inside a host call on the
 * host's thread, which shutdown cannot overlap, so checking that the plugin is live is
 * enough. Returns `closed` when the plugin is not live.
 */
template <typename F, typename R>
NR_PLUGIN_NOINLINE R call_host(std::uint64_t sid, bool shared, R closed, F &&call) noexcept {
    if (shared) {
        Gate gate(sid);
        if (!gate) return closed;
        return call();
    }
    if (!host().live.load(std::memory_order_acquire)) return closed;
    return call();
}

/** A host's answer to a frame, as a Sent. */
inline Sent sent_from(NrStatus status) noexcept {
    if (status == NR_STATUS_OK) return Sent::Sent;
    return status == abi::kBackpressure ? Sent::Backpressure : Sent::Refused;
}

/** Sends one frame, copied by the host. */
inline Sent send(std::uint64_t sid, NrStatus status, const void *data, std::size_t size, bool shared) noexcept {
    if (!shared) {
        if (!host().live.load(std::memory_order_acquire)) return Sent::ShutDown;
        return sent_from(abi::send_copy(host().fns, host().ctx, sid, status, data, size));
    }
    return call_host(sid, true, Sent::ShutDown, [&] {
        return sent_from(abi::send_copy(host().fns, host().ctx, sid, status, data, size));
    });
}

/** Waits a little longer each time: for a host whose stream queue is full. */
class Backoff {
public:
    void wait() noexcept {
        if (round_ < 8) {
            std::this_thread::yield();
        } else {
            std::this_thread::sleep_for(std::chrono::microseconds(std::min<unsigned>(50u << std::min(round_ - 8, 5u), 1000u)));
        }
        ++round_;
    }

private:
    unsigned round_ = 0;
};

/** Sends a frame again while the host answers Backpressure, until shutdown begins. */
inline Sent send_retrying(std::uint64_t sid, NrStatus status, const void *data, std::size_t size) noexcept {
    Backoff backoff;
    for (;;) {
        Sent sent = send(sid, status, data, size, true);
        if (sent != Sent::Backpressure || host().stopping.load()) return sent;
        backoff.wait();
    }
}

inline bool is_error(Status s) noexcept {
    return s == Status::Err || s == Status::Invalid || s == Status::Unsupported || s == abi::kPanicStatus;
}

/** A rejection must be an error status; anything else becomes Err. */
inline Status as_rejection(Status s) noexcept { return is_error(s) ? s : Status::Err; }

inline void unlist_session(std::uint64_t sid) noexcept;
inline bool defer_terminal(std::uint64_t sid, NrStatus status, const void *data, std::size_t size) noexcept;

/** A borrowed NrStr as text (no UTF-8 check); a NULL pointer reads as empty. */
inline std::string_view str_view(const NrStr &s) noexcept {
    return s.ptr == nullptr ? std::string_view() : std::string_view(reinterpret_cast<const char *>(s.ptr), s.len);
}

/** A lock for short critical sections: two atomic operations when free, where a mutex costs two library calls. */
class SpinLock {
public:
    void lock() noexcept {
        while (held_.exchange(true, std::memory_order_acquire)) {
            for (int i = 0; held_.load(std::memory_order_relaxed); ++i) {
                if (i >= 64) std::this_thread::yield();
            }
        }
    }
    void unlock() noexcept { held_.store(false, std::memory_order_release); }

private:
    std::atomic<bool> held_{false};
};

/** A buffer whose bytes the host reads in place until it calls release (zero-copy answers). */
struct OwnedBase {
    virtual ~OwnedBase() = default;
    virtual ByteView bytes() const noexcept = 0;
    /** The release callback the host calls exactly once, from any thread. */
    static void release(void *owner, const std::uint8_t *, std::uint64_t) noexcept { delete static_cast<OwnedBase *>(owner); }
};

template <typename Buffer>
struct Owned final : OwnedBase {
    explicit Owned(Buffer &&buffer) noexcept : buffer_(std::move(buffer)) {}
    ByteView bytes() const noexcept override {
        return {reinterpret_cast<const std::uint8_t *>(buffer_.data()), buffer_.size()};
    }
    Buffer buffer_;
};

}  // namespace detail

/** A call's input: borrowed from the host (sync) or owned by the SDK (background). */
class Request {
public:
    std::uint64_t sid() const noexcept { return sid_; }
    std::string_view entry() const noexcept { return entry_; }
    /** The body (never holds a NULL pointer with a length). */
    ByteView payload() const noexcept { return payload_; }
    /** The body as text (not UTF-8 checked). */
    std::string_view text() const noexcept { return payload_.as_text(); }
    /** Whether the call carries request metadata (ABI 1's handle; never on ABI 2). */
    bool has_metadata() const noexcept { return meta_ != nullptr; }
    std::string_view method() const noexcept { return abi::meta_method(meta_); }
    std::string_view path() const noexcept { return abi::meta_path(meta_); }
    std::string_view query() const noexcept { return abi::meta_query(meta_); }
    std::size_t header_count() const noexcept { return abi::meta_header_count(meta_); }
    std::pair<std::string_view, std::string_view> header_at(std::size_t i) const noexcept {
        if (i >= header_count()) return {};
        return abi::meta_header(meta_, i);
    }
    /** The first header named `name` (ASCII case-insensitive). */
    std::optional<std::string_view> header(std::string_view name) const noexcept {
        for (std::size_t i = 0; i < header_count(); ++i) {
            auto [key, value] = header_at(i);
            if (equal_nocase(key, name)) return value;
        }
        return std::nullopt;
    }

    Request(std::uint64_t sid, std::string_view entry, const abi::Meta *meta, ByteView payload) noexcept
        : sid_(sid), entry_(entry), meta_(meta), payload_(payload) {}

private:
    static bool equal_nocase(std::string_view a, std::string_view b) noexcept {
        if (a.size() != b.size()) return false;
        for (std::size_t i = 0; i < a.size(); ++i) {
            unsigned x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
            if (x - 'A' < 26u) x += 32;
            if (y - 'A' < 26u) y += 32;
            if (x != y) return false;
        }
        return true;
    }

    std::uint64_t sid_;
    std::string_view entry_;
    const abi::Meta *meta_;
    ByteView payload_;
};

/**
 * Answers one call. Move-only, one owner at a time (not for concurrent use): move it
 * into a background task to answer later. Unary calls take one reply() (or one
 * reply_owned(), or one committed lease); streams take frame()s and one end() or
 * fail(). Whatever follows the final answer is dropped. A Responder destroyed before
 * answering sends Err (the handler forgot, or threw).
 */
class Responder {
public:
    /** `shared`: may answer from any thread (the SDK passes false only inside a host call on the host's thread). */
    Responder(std::uint64_t sid, Kind kind, bool shared = true) noexcept : sid_(sid), kind_(kind), shared_(shared) {}
    /** A moved Responder may travel to another thread: it answers through the shutdown gate. */
    Responder(Responder &&other) noexcept { take(other); }
    Responder &operator=(Responder &&other) noexcept {
        if (this != &other) {
            finish_forgotten();
            take(other);
        }
        return *this;
    }
    Responder(const Responder &) = delete;
    Responder &operator=(const Responder &) = delete;
    ~Responder() { finish_forgotten(); }

    std::uint64_t sid() const noexcept { return sid_; }
    Kind kind() const noexcept { return kind_; }
    /** Whether the final answer was sent (or this Responder was moved from). */
    bool done() const noexcept { return ended_ || !owner_; }

    /** The final answer: unary, any status; streams, the terminal frame (Ok is sent as StreamEnd). */
    Sent reply(Status status, ByteView data) noexcept {
        if (kind_ != Kind::Unary && !detail::is_error(status)) status = Status::StreamEnd;
        return final_(status, data.data(), data.size());
    }
    Sent reply(Status status, std::string_view text) noexcept { return reply(status, as_bytes(text)); }
    Sent reply(Status status) noexcept { return reply(status, ByteView()); }
    Sent ok(ByteView data) noexcept { return reply(Status::Ok, data); }
    Sent ok(std::string_view text) noexcept { return reply(Status::Ok, as_bytes(text)); }

    /**
     * The final answer of a unary call without a copy (ABI 2's send_result_owned): the
     * SDK keeps `buffer` (a std::string or std::vector<std::uint8_t>, moved in) alive
     * and unchanged until the host releases it. Where the host has no zero-copy path
     * (ABI 1), or for a stream, the bytes are copied and freed at once.
     */
    template <typename Buffer, typename = std::enable_if_t<!std::is_lvalue_reference_v<Buffer>>>
    Sent reply_owned(Status status, Buffer &&buffer) noexcept {
        detail::OwnedBase *owned = new (std::nothrow) detail::Owned<Buffer>(std::move(buffer));
        if (owned == nullptr) {  // out of memory: `buffer` was not moved from
            return reply(status, ByteView(reinterpret_cast<const std::uint8_t *>(buffer.data()), buffer.size()));
        }
        return final_owned(status, owned);
    }

    /**
     * Leases a host buffer of at least `capacity` bytes for a unary answer (ABI 2).
     * False when the host refused (or has no leases, or one is out already): answer
     * another way then. Write at most capacity bytes, then commit().
     */
    Lease acquire(std::size_t capacity) noexcept {
        if (kind_ != Kind::Unary || !owner_ || ended_ || lease_out_) return {};
        abi::Grant got = detail::call_host(sid_, shared_, abi::Grant{}, [&] {
            return abi::acquire(detail::host().fns, detail::host().ctx, sid_, capacity);
        });
        if (got.ptr == nullptr || got.cap < capacity) return {};
        lease_out_ = true;
        lease_token_ = got.token;
        lease_cap_ = static_cast<std::size_t>(std::min<std::uint64_t>(got.cap, SIZE_MAX));
        return Lease{got.ptr, lease_cap_, got.token};
    }
    /**
     * Answers with the first `length` bytes of `lease`. Refused (and the lease kept
     * for a corrected retry) when `length` exceeds its capacity or the lease is not
     * this call's; Ended when the call was answered another way (the lease went with it).
     */
    Sent commit(const Lease &lease, Status status, std::size_t length) noexcept {
        if (!owner_ || ended_) return Sent::Ended;
        if (!lease_out_ || lease.token != lease_token_ || length > lease_cap_) return Sent::Refused;
        constexpr NrStatus kClosed = UINT32_MAX;  // not a status: the plugin is shut down
        NrStatus got = detail::call_host(sid_, shared_, kClosed, [&] {
            return abi::commit(detail::host().fns, detail::host().ctx, sid_, nylon_ring::to_c(status), lease.token, length);
        });
        if (got == kClosed) return Sent::ShutDown;
        if (got != NR_STATUS_OK) return Sent::Refused;
        ended_ = sent_ = true;
        lease_out_ = false;
        return Sent::Sent;
    }

    /**
     * One Ok frame of a stream. Off the host's thread it is sent again while the host
     * answers Backpressure (until shutdown begins); inside a host call it is not, since
     * such a host may drain its queue only once the call returns: Backpressure is then
     * returned and the frame was not sent.
     */
    Sent frame(ByteView data) noexcept {
        Sent sent = try_frame(data);
        if (sent != Sent::Backpressure || !shared_) return sent;
        return detail::send_retrying(sid_, NR_STATUS_OK, data.data(), data.size());
    }
    Sent frame(std::string_view text) noexcept { return frame(as_bytes(text)); }
    /** One Ok frame, sent once: Backpressure when the host's stream queue is full. */
    Sent try_frame(ByteView data) noexcept {
        if (kind_ == Kind::Unary) return Sent::WrongKind;
        if (!owner_ || ended_) return Sent::Ended;
        Sent sent = detail::send(sid_, NR_STATUS_OK, data.data(), data.size(), shared_);
        if (sent == Sent::Sent) sent_ = true;
        return sent;
    }
    Sent try_frame(std::string_view text) noexcept { return try_frame(as_bytes(text)); }
    /** Ends a stream normally (StreamEnd). */
    Sent end() noexcept { return kind_ == Kind::Unary ? Sent::WrongKind : final_(Status::StreamEnd, nullptr, 0); }
    /** Ends any call with an error status (Ok or StreamEnd become Err) and a message. */
    Sent fail(Status status, std::string_view message = {}) noexcept {
        return final_(detail::is_error(status) ? status : Status::Err, message.data(), message.size());
    }

    /** Stores `value` under `key` for this sid (the ABI 1 state extension); `stored` (optional) views the host's copy. */
    bool set_state(std::string_view key, ByteView value, ByteView *stored = nullptr) const noexcept {
        if (!abi::state_available() || key.size() > UINT32_MAX) return false;
        return detail::call_host(sid_, true, false, [&] { return abi::state_set(detail::host().ctx, sid_, key, value, stored); });
    }
    bool set_state(std::string_view key, std::string_view value) const noexcept { return set_state(key, as_bytes(value)); }
    /** The value under `key` for this sid (empty when absent); nullopt without a state extension. */
    std::optional<ByteView> get_state(std::string_view key) const noexcept {
        if (!abi::state_available() || key.size() > UINT32_MAX) return std::nullopt;
        return detail::call_host(sid_, true, std::optional<ByteView>(),
                                 [&] { return std::optional<ByteView>(abi::state_get(detail::host().ctx, sid_, key)); });
    }

private:
    friend struct ResponderAccess;

    static ByteView as_bytes(std::string_view text) noexcept {
        return {reinterpret_cast<const std::uint8_t *>(text.data()), text.size()};
    }

    Sent final_(Status status, const void *data, std::size_t size) noexcept {
        if (!owner_ || ended_) return Sent::Ended;
        ended_ = sent_ = true;
        lease_out_ = false;  // answering another way consumes a lease
        if (kind_ == Kind::Unary) return detail::send(sid_, nylon_ring::to_c(status), data, size, shared_);
        return final_stream(status, data, size);
    }
    /**
     * A stream's terminal frame (out of line: the unary path keeps no frame). A bidi
     * sid is unknown from then on. A terminal frame the host's full queue refused is
     * sent again: here off the host's thread, from the pool inside a host call.
     */
    NR_PLUGIN_NOINLINE Sent final_stream(Status status, const void *data, std::size_t size) noexcept {
        if (kind_ == Kind::Bidi) detail::unlist_session(sid_);
        NrStatus raw = nylon_ring::to_c(status);
        Sent sent = detail::send(sid_, raw, data, size, shared_);
        if (sent != Sent::Backpressure) return sent;
        if (shared_) return detail::send_retrying(sid_, raw, data, size);
        return detail::defer_terminal(sid_, raw, data, size) ? Sent::Sent : Sent::Backpressure;
    }
    NR_PLUGIN_NOINLINE Sent final_owned(Status status, detail::OwnedBase *owned) noexcept {
        ByteView bytes = owned->bytes();
        if (kind_ != Kind::Unary || !owner_ || ended_ || !abi::has_owned(detail::host().fns)) {
            Sent sent = reply(status, bytes);  // copied by the host
            delete owned;
            return sent;
        }
        ended_ = sent_ = true;
        lease_out_ = false;
        bool handed = false;
        Sent sent = detail::call_host(sid_, shared_, Sent::ShutDown, [&] {
            handed = true;  // from here on the host releases it, whatever it answers
            return detail::sent_from(abi::send_owned(detail::host().fns, detail::host().ctx, sid_, nylon_ring::to_c(status),
                                                     bytes, owned, &detail::OwnedBase::release));
        });
        if (!handed) delete owned;
        return sent;
    }
    void finish_forgotten() noexcept {
        if (owner_ && !ended_) answer_forgotten();
    }
    NR_PLUGIN_NOINLINE void answer_forgotten() noexcept {
        fail(Status::Err, sent_ ? "the stream was left open" : "the handler did not answer");
    }
    void take(Responder &other) noexcept {
        sid_ = other.sid_;
        kind_ = other.kind_;
        ended_ = other.ended_;
        sent_ = other.sent_;
        owner_ = other.owner_;
        lease_out_ = other.lease_out_;
        lease_token_ = other.lease_token_;
        lease_cap_ = other.lease_cap_;
        shared_ = true;
        other.owner_ = false;
    }

    std::uint64_t sid_ = 0;
    Kind kind_ = Kind::Unary;
    bool ended_ = false;
    bool sent_ = false;
    bool owner_ = true;
    bool shared_ = true;
    bool lease_out_ = false;
    std::uint64_t lease_token_ = 0;
    std::size_t lease_cap_ = 0;
};

/** What the SDK reads and sets on a Responder around a handler. */
struct ResponderAccess {
    static bool owner(const Responder &r) noexcept { return r.owner_; }
    static bool sent(const Responder &r) noexcept { return r.sent_; }
    /** A rejected call: nothing may be sent for it, not even the destructor's Err. */
    static void reject(Responder &r) noexcept { r.ended_ = true; }
    /**
     * A stream's Responder while one of its callbacks runs inside a host call on the
     * host's thread (shutdown cannot overlap it, so its sends skip the gate), and
     * shared again afterwards.
     */
    static void inside_host_call(Responder &r, bool inside) noexcept {
        if (r.owner_) r.shared_ = !inside;
    }
};

/** One open bidirectional stream; the SDK owns it until the stream ends. */
class Session {
public:
    explicit Session(std::uint64_t sid) noexcept : responder_(sid, Kind::Bidi) {}
    std::uint64_t sid() const noexcept { return responder_.sid(); }
    /** Sends frames and ends the stream. */
    Responder &responder() noexcept { return responder_; }
    /** Anything the plugin keeps per stream. */
    std::shared_ptr<void> user;

private:
    Responder responder_;
};

using Handler = std::function<Status(const Request &, Responder &)>;
using OpenHandler = std::function<Status(const Request &, Session &)>;
using DataHandler = std::function<Status(Session &, ByteView)>;
using CloseHandler = std::function<Status(Session &)>;

/** A sample call and its answer, written into the embedded manifest for the conformance suite. */
struct Sample {
    std::string payload;
    std::string expect;               ///< unary: the answer (status Ok)
    std::vector<std::string> frames;  ///< streams: the Ok frames before StreamEnd
    std::vector<std::string> send;    ///< bidi: the frames the host sends
    bool present = false;
};

/** The plugin: its identity and its entries, filled in by the NYLON_RING_PLUGIN body. */
class Plugin {
public:
    using HandlerFn = Status (*)(const Request &, Responder &);

    struct Entry {
        std::string name;
        Kind kind = Kind::Unary;
        Run run = Run::Sync;
        Handler handler;
        OpenHandler open;
        DataHandler on_data;
        CloseHandler on_close;
        /** The handler when it is a plain function: called directly, without std::function's hop. */
        HandlerFn direct = nullptr;
        /** A panic probe: answers Unsupported unless probes were enabled at init. */
        bool probe = false;
        /** Called with request metadata (ABI 1's handle): the manifest says so. */
        bool with_request = false;
        Sample sample;
    };

    Plugin(std::string name, std::string version) : name_(std::move(name)), version_(std::move(version)) {}
    /** A copy routes to its own entries (the routing table points at them). */
    Plugin(const Plugin &other)
        : name_(other.name_), version_(other.version_), entries_(other.entries_), init_(other.init_),
          shutdown_(other.shutdown_), background_threads_(other.background_threads_),
          background_queue_(other.background_queue_) {
        reindex();
    }
    Plugin &operator=(const Plugin &other) {
        if (this != &other) {
            Plugin copy(other);
            swap(copy);
        }
        return *this;
    }

    /** An entry answered exactly once. */
    Plugin &unary(std::string name, Handler handler, Run run = Run::Sync) {
        Entry entry = blank(std::move(name), Kind::Unary, run);
        entry.handler = std::move(handler);
        return add(std::move(entry));
    }
    /** An entry that sends frames, then one terminal frame. */
    Plugin &stream(std::string name, Handler handler, Run run = Run::Sync) {
        Entry entry = blank(std::move(name), Kind::Stream, run);
        entry.handler = std::move(handler);
        return add(std::move(entry));
    }
    /**
     * A bidirectional entry: `open` accepts the stream, `on_data` gets each frame the
     * host sends, `on_close` (optional) runs when the host closes its side; the stream
     * then ends with StreamEnd, or with the error status on_close returns.
     */
    Plugin &bidi(std::string name, OpenHandler open, DataHandler on_data, CloseHandler on_close = {}) {
        Entry entry = blank(std::move(name), Kind::Bidi, Run::Sync);
        entry.open = std::move(open);
        entry.on_data = std::move(on_data);
        entry.on_close = std::move(on_close);
        return add(std::move(entry));
    }
    /**
     * A panic probe: a unary entry that throws on purpose, to show that nothing unwinds
     * into the host. Compiled into every build, it answers Unsupported unless the
     * environment had NYLON_RING_ENABLE_PROBES=1 when init ran.
     */
    Plugin &probe(std::string name, Handler handler, Run run = Run::Sync) {
        unary(std::move(name), std::move(handler), run);
        entries_.back().probe = true;
        return *this;
    }
    /** The last entry is called with request metadata (ABI 1's handle), not through handle_raw. */
    Plugin &with_request() noexcept {
        if (!entries_.empty()) entries_.back().with_request = true;
        return *this;
    }
    /** A sample call of the last (unary) entry and its Ok answer, for the embedded manifest. */
    Plugin &sample(std::string payload, std::string expect) {
        if (!entries_.empty()) entries_.back().sample = Sample{std::move(payload), std::move(expect), {}, {}, true};
        return *this;
    }
    /** A sample call of the last (stream or bidi) entry: its Ok frames, then StreamEnd. */
    Plugin &sample_frames(std::string payload, std::vector<std::string> frames, std::vector<std::string> send = {}) {
        if (!entries_.empty()) {
            entries_.back().sample = Sample{std::move(payload), {}, std::move(frames), std::move(send), true};
        }
        return *this;
    }
    /** Runs at the end of init; anything but Ok fails the load. */
    Plugin &on_init(std::function<Status()> hook) {
        init_ = std::move(hook);
        return *this;
    }
    /** Runs in shutdown after background work is joined, before sends stop. */
    Plugin &on_shutdown(std::function<void()> hook) {
        shutdown_ = std::move(hook);
        return *this;
    }
    /**
     * Worker threads for background entries and spawn() (0, the default: one per CPU,
     * at least 2). Workers are shared: a task that blocks holds one of them.
     */
    Plugin &background_threads(std::size_t count) noexcept {
        background_threads_ = count;
        return *this;
    }
    /** How many background tasks may wait for a worker (default 4096); beyond it calls are refused. */
    Plugin &background_queue(std::size_t count) noexcept {
        background_queue_ = std::max<std::size_t>(count, 1);
        return *this;
    }

    const std::string &name() const noexcept { return name_; }
    const std::string &version() const noexcept { return version_; }
    const std::vector<Entry> &entries() const noexcept { return entries_; }
    std::size_t background_threads() const noexcept { return background_threads_; }
    std::size_t background_queue() const noexcept { return background_queue_; }
    /** The entry named `name` (the first one registered under it); nullptr when there is none. */
    const Entry *find(std::string_view name) const noexcept {
        if (name.size() <= 16) return find_short(name);
        Key key(name);
        for (std::size_t i = key.slot(mask_);; i = (i + 1) & mask_) {
            const Route &r = routes_[i];
            if (r.entry == nullptr) return nullptr;
            if (r.key == key && r.entry->name == name) return r.entry;
        }
    }
    /** find() for a name of at most 16 bytes, which its key holds whole: no string compare. */
    const Entry *find_short(std::string_view name) const noexcept {
        Key key(name);
        for (std::size_t i = key.slot(mask_);; i = (i + 1) & mask_) {
            const Route &r = routes_[i];
            if (r.entry == nullptr || r.key == key) return r.entry;
        }
    }
    /**
     * The SDK's fast path: the entry named `name` (at most 16 bytes) when the first slot
     * probed holds it, in `*entry`, and true; false (and no answer) when the probe must
     * go on, which find() then does. No loop and no call, so the caller needs no frame.
     */
    bool find_first(std::string_view name, const Entry **entry) const noexcept {
        Key key(name);
        const Route &r = routes_[key.slot(mask_)];
        *entry = r.entry;
        return r.entry == nullptr || r.key == key;
    }
    /** An entry's id for integer dispatch: its place in the route table. */
    std::uint32_t id_of(const Entry *entry) const noexcept { return static_cast<std::uint32_t>(entry - entries_.data()); }
    /** The entry with id `id`; nullptr for an id no entry has. */
    const Entry *by_id(std::uint32_t id) const noexcept { return id < entries_.size() ? &entries_[id] : nullptr; }
    const std::function<Status()> &init_hook() const noexcept { return init_; }
    const std::function<void()> &shutdown_hook() const noexcept { return shutdown_; }

private:
    /**
     * A name's routing key: its length and its first and last 8 bytes (overlapping
     * windows for shorter names, so a key holds every byte of a name up to 16 bytes).
     */
    struct Key {
        std::uint64_t head = 0, tail = 0, len = 0;
        Key() = default;
        explicit Key(std::string_view name) noexcept : len(name.size()) {
            const char *p = name.data();
            std::size_t n = name.size();
            if (n >= 8) {
                std::memcpy(&head, p, 8);
                std::memcpy(&tail, p + n - 8, 8);
            } else if (n >= 4) {
                std::uint32_t x, y;
                std::memcpy(&x, p, 4);
                std::memcpy(&y, p + n - 4, 4);
                head = x;
                tail = y;
            } else if (n > 0) {
                auto byte = [p](std::size_t i) { return static_cast<std::uint64_t>(static_cast<unsigned char>(p[i])); };
                head = byte(0) | byte(n / 2) << 8 | byte(n - 1) << 16;
            }
        }
        bool operator==(const Key &o) const noexcept { return len == o.len && head == o.head && tail == o.tail; }
        /** Names that share their first 8 bytes and length share a slot: the probe moves on. */
        std::size_t slot(std::size_t mask) const noexcept {
            return static_cast<std::size_t>(((head + len) * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & mask;
        }
    };
    /** One slot of the open-addressing routing table. */
    struct Route {
        Key key;
        const Entry *entry = nullptr;  // nullptr: an empty slot
    };

    static Entry blank(std::string name, Kind kind, Run run) {
        Entry entry;
        entry.name = std::move(name);
        entry.kind = kind;
        entry.run = run;
        return entry;
    }
    void swap(Plugin &other) noexcept {
        std::swap(name_, other.name_);
        std::swap(version_, other.version_);
        std::swap(entries_, other.entries_);
        std::swap(routes_, other.routes_);
        std::swap(mask_, other.mask_);
        std::swap(init_, other.init_);
        std::swap(shutdown_, other.shutdown_);
        std::swap(background_threads_, other.background_threads_);
        std::swap(background_queue_, other.background_queue_);
    }
    Plugin &add(Entry entry) {
        if (auto *fn = entry.handler.template target<HandlerFn>()) entry.direct = *fn;
        entries_.push_back(std::move(entry));
        reindex();
        return *this;
    }
    /** Rebuilds the table (at least twice the entries, so a probe always ends); the first of equal names wins. */
    void reindex() {
        std::size_t size = 8;
        while (size < 2 * entries_.size()) size *= 2;
        std::vector<Route> table(size);
        std::size_t mask = size - 1;
        for (const Entry &e : entries_) {
            Key key(e.name);
            std::size_t i = key.slot(mask);
            while (table[i].entry != nullptr && !(table[i].key == key && table[i].entry->name == e.name)) {
                i = (i + 1) & mask;
            }
            if (table[i].entry == nullptr) table[i] = Route{key, &e};
        }
        routes_ = std::move(table);
        mask_ = mask;
    }

    std::string name_;
    std::string version_;
    std::vector<Entry> entries_;
    std::vector<Route> routes_ = std::vector<Route>(8);
    std::size_t mask_ = 7;
    std::function<Status()> init_;
    std::function<void()> shutdown_;
    std::size_t background_threads_ = 0;
    std::size_t background_queue_ = 4096;
};

namespace detail {

/** Work for the background pool. */
struct Task {
    virtual ~Task() = default;
    virtual void run() = 0;
};

template <typename F>
struct FnTask final : Task {
    explicit FnTask(F fn) : fn_(std::move(fn)) {}
    void run() override { fn_(); }
    F fn_;
};

inline const Plugin *&plugin_slot() noexcept {
    static const Plugin *plugin = nullptr;
    return plugin;
}

/** Whether a task was queued. */
enum class Queued { Yes, Full, Stopped };

/**
 * Background work: a bounded queue and a pool of worker threads, started on demand (at
 * most Plugin::background_threads(), by default one per CPU and at least 2); never a
 * thread per call. Waking a sleeping thread is what an answer from another thread costs
 * most, so wake-ups are rare: a worker that finishes its tasks takes the next ones
 * without sleeping; the last idle worker polls the queue for kPollNs before it sleeps, so
 * calls that come back to back find it awake (paused for a while when a poll shows the
 * machine busy: the poller lost its CPU); a task queued while a worker polls, or while the
 * busy workers have fewer than kBacklog tasks each, wakes nobody. So that a task which
 * blocks does not hold up the queue, one idle worker keeps watch while others are busy:
 * every kWatch it looks, and when tasks wait and none finished since its last look, it
 * takes one. Shutdown runs what is queued, waits for every task, then joins the workers;
 * the next init starts a new pool on demand.
 */
class Workers {
public:
    /** Queues `task`; unless Yes (queue full, shutting down, no thread could start) the caller keeps it. */
    Queued start(std::unique_ptr<Task> &task) noexcept {
        Signal signal = Signal::None;
        try {
            std::lock_guard<std::mutex> lock(mutex_);
            if (host().stopping.load()) return Queued::Stopped;
            if (queue_.size() >= capacity_locked()) return Queued::Full;
            queue_.push_back(std::move(task));
            queued_.store(queue_.size(), std::memory_order_release);
            if (!place_locked(signal)) {
                task = std::move(queue_.back());  // no thread could start: take it back
                queue_.pop_back();
                queued_.store(queue_.size(), std::memory_order_relaxed);
                return Queued::Stopped;
            }
        } catch (...) {
            return Queued::Stopped;  // out of memory for the queue
        }
        // after the unlock: the worker it wakes does not wait for the lock
        if (signal == Signal::Work) work_.notify_one();
        if (signal == Signal::Watch) watch_.notify_one();
        return Queued::Yes;
    }

    /**
     * Shutdown: every queued task runs and every task returns (new ones are refused by
     * now), then the workers are joined. Called from a task (the host shut the plugin
     * down from inside send_result), that worker helps drain the queue and is detached.
     */
    void join_all() noexcept {
        std::vector<std::thread> threads;
        const std::thread::id self = std::this_thread::get_id();
        try {
            std::unique_lock<std::mutex> lock(mutex_);
            const bool on_worker =
                std::any_of(threads_.begin(), threads_.end(), [&](const std::thread &t) { return t.get_id() == self; });
            ++joining_;
            while (!queue_.empty() || running_ > (on_worker ? 1u : 0u)) {
                if (on_worker && !queue_.empty()) {
                    run_batch_locked(lock, 1);
                } else {
                    quiet_.wait(lock);
                }
            }
            --joining_;
            threads.swap(threads_);
            size_ = 0;
            wakes_ = 0;
            watch_wanted_ = false;
            ++generation_;
            work_.notify_all();
            watch_.notify_all();
        } catch (...) {
            return;  // the lock itself failed: nothing sane is left to wait for
        }
        for (std::thread &t : threads) {
            try {
                if (t.get_id() == self) {
                    t.detach();
                } else {
                    t.join();
                }
            } catch (...) {
                // a thread that cannot be joined is left to finish on its own
            }
        }
    }

private:
    enum class Signal { None, Work, Watch };
    static constexpr std::size_t kBatch = 16;    // most tasks a worker takes at once
    static constexpr std::size_t kBacklog = 16;  // tasks queued per busy worker before another is woken
    static constexpr std::uint64_t kPollNs = 50000;            // the last idle worker polls this long
    static constexpr std::uint64_t kPollLostNs = 20000;        // a gap this long: the poller lost its CPU
    static constexpr std::uint64_t kPollBackoffNs = 20000000;  // ... and polling pauses this long
    static constexpr std::chrono::microseconds kWatch{1000};   // how often the watching worker looks
    static constexpr unsigned kWatchIdle = 20;                 // looks at an empty queue before it stops

    static std::uint64_t now_ns() noexcept {
        return static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
                .count());
    }

    static std::size_t configured_size() noexcept {
        const Plugin *plugin = plugin_slot();
        std::size_t n = plugin != nullptr ? plugin->background_threads() : 0;
        if (n == 0) n = std::max<std::size_t>(std::thread::hardware_concurrency(), 2);
        return std::min<std::size_t>(n, 64);
    }
    static std::size_t capacity_locked() noexcept {
        const Plugin *plugin = plugin_slot();
        return plugin != nullptr ? plugin->background_queue() : 4096;
    }

    /** Who takes a task just queued; false when no worker exists at all (none could start). */
    bool place_locked(Signal &signal) noexcept {
        if (polling_.load(std::memory_order_relaxed) != 0 || wakes_ > 0) return true;
        if (running_ == 0) {
            if (watching_) {
                signal = Signal::Watch;
                return true;
            }
            return add_worker_locked(signal) || !threads_.empty();
        }
        if (queue_.size() > kBacklog * running_) {
            add_worker_locked(signal);  // none to add: the busy workers take it in turn
        } else if (!watching_ && !watch_wanted_ && add_worker_locked(signal)) {
            watch_wanted_ = true;
        }
        return true;
    }

    /** Wakes a sleeping worker, or starts one when none sleeps and the pool has room; false when neither. */
    bool add_worker_locked(Signal &signal) noexcept {
        if (sleeping_ > wakes_) {
            ++wakes_;
            signal = Signal::Work;
            return true;
        }
        if (size_ == 0) size_ = configured_size();  // once a generation: it asks the system for the CPU count
        if (threads_.size() >= size_) return false;
        try {
            unsigned generation = generation_;
            threads_.emplace_back([this, generation] { work(generation); });
        } catch (...) {
            return false;
        }
        ++wakes_;
        return true;
    }

    /** The last idle worker polls the queue without the lock for kPollNs; true when a task came. */
    bool poll_locked(std::unique_lock<std::mutex> &lock) noexcept {
        if (running_ != 0) return false;
        const std::uint64_t resume = poll_resume_.load(std::memory_order_relaxed);
        if (resume != 0 && now_ns() < resume) return false;
        if (polling_.fetch_add(1) != 0) {
            polling_.fetch_sub(1);
            return false;
        }
        lock.unlock();
        bool found = false;
        std::uint64_t last = now_ns();
        const std::uint64_t until = last + kPollNs;
        for (unsigned i = 1; !found; ++i) {
            found = queued_.load(std::memory_order_acquire) != 0;
            if (found || (i & 63) != 0) continue;
            const std::uint64_t now = now_ns();
            if (now - last > kPollLostNs) {
                poll_resume_.store(now + kPollBackoffNs, std::memory_order_relaxed);
                break;
            }
            if (now >= until) break;
            last = now;
        }
        polling_.fetch_sub(1);  // before the lock: a task queued after this sees no poller
        lock.lock();
        return !queue_.empty();
    }

    /** Keeps watch while others are busy; returns to take a task (tasks wait and none finished
     * since the last look, or nobody else runs one) or to stop watching. */
    void keep_watch_locked(std::unique_lock<std::mutex> &lock, unsigned generation) noexcept {
        watching_ = true;
        unsigned idle = 0;
        while (generation_ == generation && idle < kWatchIdle) {
            const std::uint64_t seen = finished_;
            watch_.wait_for(lock, kWatch);
            if (!queue_.empty() && (running_ == 0 || finished_ == seen)) break;
            idle = queue_.empty() ? idle + 1 : 0;
        }
        watching_ = false;
    }

    void work(unsigned generation) noexcept {
        std::unique_lock<std::mutex> lock(mutex_);
        if (wakes_ > 0) --wakes_;  // a thread started for a task counts as a wake-up until it runs
        while (generation_ == generation) {
            if (watch_wanted_ && !watching_) {
                watch_wanted_ = false;
                keep_watch_locked(lock, generation);
                if (!queue_.empty() && generation_ == generation) run_batch_locked(lock, 1);
                continue;
            }
            if (!queue_.empty()) {
                std::size_t awake = std::max<std::size_t>(running_ + 1, 1);
                run_batch_locked(lock, std::min(kBatch, std::max<std::size_t>(queue_.size() / awake, 1)));
                continue;
            }
            if (poll_locked(lock) || generation_ != generation) continue;
            if (running_ != 0 && !watching_) {  // others are busy: keep watch rather than sleep
                keep_watch_locked(lock, generation);
                continue;
            }
            ++sleeping_;
            work_.wait(lock);
            --sleeping_;
            if (wakes_ > 0) --wakes_;
        }
    }

    /** Runs up to `most` queued tasks, in order, with the lock released. */
    void run_batch_locked(std::unique_lock<std::mutex> &lock, std::size_t most) noexcept {
        std::unique_ptr<Task> batch[kBatch];
        std::size_t n = 0;
        while (n < most && n < kBatch && !queue_.empty()) {
            batch[n++] = std::move(queue_.front());
            queue_.pop_front();
        }
        queued_.store(queue_.size(), std::memory_order_relaxed);
        running_ += static_cast<unsigned>(n);
        lock.unlock();
        for (std::size_t i = 0; i < n; ++i) {
            try {
                batch[i]->run();
            } catch (...) {
                // the task's Responder, destroyed below, answers Err
            }
            batch[i].reset();
        }
        lock.lock();
        running_ -= static_cast<unsigned>(n);
        finished_ += n;
        if (joining_ > 0) quiet_.notify_all();
    }

    std::mutex mutex_;
    std::condition_variable work_;   // a task was queued for a sleeping worker, or shutdown ended the generation
    std::condition_variable watch_;  // the watching worker's timed wait
    std::condition_variable quiet_;  // a task finished while shutdown waits
    std::deque<std::unique_ptr<Task>> queue_;
    std::atomic<std::size_t> queued_{0};  // queue_.size(), for the polling worker, which looks without the lock
    std::atomic<unsigned> polling_{0};
    std::atomic<std::uint64_t> poll_resume_{0};  // nobody polls before this (steady clock, ns)
    std::vector<std::thread> threads_;    // workers of this generation
    std::size_t size_ = 0;                // how many workers this generation may have (0: not decided yet)
    unsigned generation_ = 0;             // bumped by shutdown: workers of older generations exit
    unsigned sleeping_ = 0;
    unsigned wakes_ = 0;                  // signals sent (and threads started) that no worker has taken up yet
    unsigned running_ = 0;
    unsigned joining_ = 0;
    std::uint64_t finished_ = 0;          // tasks finished: what the watching worker compares
    bool watching_ = false;
    bool watch_wanted_ = false;           // the next worker to wake up keeps watch instead of taking a task
};

inline Workers &workers() {
    static Workers *w = new Workers();  // leaked on purpose: detached workers may outlive static destruction
    return *w;
}

}  // namespace detail

/**
 * Runs `job` on the background pool (shutdown waits for it); move a Responder into it
 * to answer from there. False when the plugin is shutting down, the queue is full or
 * no thread could start: `job` is then destroyed here (a Responder inside it answers Err).
 */
template <typename F>
bool spawn(F &&job) noexcept {
    try {
        std::unique_ptr<detail::Task> task = std::make_unique<detail::FnTask<std::decay_t<F>>>(std::forward<F>(job));
        return detail::workers().start(task) == detail::Queued::Yes;
    } catch (...) {
        return false;
    }
}

/** Whether shutdown has begun: long-running background work should finish. */
inline bool shutting_down() noexcept { return detail::host().stopping.load(); }

/** Whether the host handed over a state extension (ABI 1 only). */
inline bool state_available() noexcept { return abi::state_available(); }

/** Whether panic probes answer (NYLON_RING_ENABLE_PROBES=1 when init ran). */
inline bool probes_enabled() noexcept { return detail::host().probes.load(std::memory_order_relaxed); }

namespace detail {

inline const char *what(const std::exception_ptr &error) noexcept {
    try {
        std::rethrow_exception(error);
    } catch (const std::exception &e) {
        return e.what();
    } catch (...) {
        return "unknown exception";
    }
}

/** Runs a handler; an exception fails the call with Panic (Err on ABI 1) and its message. */
template <typename F>
Status guarded(Responder &res, F &&fn) noexcept {
    try {
        return fn();
    } catch (...) {
        res.fail(abi::kPanicStatus, what(std::current_exception()));
        return abi::kPanicStatus;
    }
}

/** Calls an entry's handler: directly when it is a plain function. */
inline Status call_handler(const Plugin::Entry &entry, const Request &req, Responder &res) {
    return entry.direct != nullptr ? entry.direct(req, res) : entry.handler(req, res);
}

/* ---- input checks ---- */

inline bool str_ok(const NrStr &s) noexcept { return s.ptr != nullptr || s.len == 0; }

inline bool bytes_ok(const NrBytes &b) noexcept {
    return (b.ptr != nullptr || b.len == 0) && static_cast<std::uint64_t>(static_cast<std::size_t>(b.len)) == b.len;
}

/** Length of the UTF-8 sequence at p (1..4), or 0 when malformed. */
inline std::size_t utf8_sequence(const std::uint8_t *p, std::size_t left) noexcept {
    std::uint8_t c = p[0];
    std::size_t n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
    if (n == 0 || n > left) return 0;
    for (std::size_t i = 1; i < n; ++i) {
        if ((p[i] & 0xC0) != 0x80) return 0;
    }
    if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] > 0x9F)) return 0;
    if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] > 0x8F)) return 0;
    return n;
}

}  // namespace detail

/** Whether `text` is well-formed UTF-8. */
inline bool utf8_valid(std::string_view text) noexcept {
    const auto *p = reinterpret_cast<const std::uint8_t *>(text.data());
    for (std::size_t i = 0; i < text.size();) {
        std::size_t n = detail::utf8_sequence(p + i, text.size() - i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

namespace detail {

/* ---- background entries ---- */

/** A request copied out of host memory, with a Request viewing the copy (not movable: it points into itself). */
class OwnedRequest {
public:
    OwnedRequest(std::string_view entry, const abi::Meta *meta, ByteView payload)
        : entry_(entry), payload_(payload.begin(), payload.end()), meta_(meta) {}
    OwnedRequest(const OwnedRequest &) = delete;
    OwnedRequest &operator=(const OwnedRequest &) = delete;

    Request view(std::uint64_t sid) const noexcept {
        return Request(sid, entry_, meta_.get(), ByteView(payload_.data(), payload_.size()));
    }

private:
    std::string entry_;
    std::vector<std::uint8_t> payload_;
    abi::OwnedMeta meta_;
};

/** After a handler: the call always ends, with the handler's status if it did not. */
inline void settle_background(Responder &res, Status status) noexcept {
    if (res.done()) return;
    if (ResponderAccess::sent(res) || status == Status::Ok) return;  // the destructor answers Err
    res.reply(as_rejection(status));
}

struct BackgroundCall final : Task {
    BackgroundCall(const Plugin::Entry &entry, const Request &borrowed, const abi::Meta *meta)
        : entry_(entry), request_(borrowed.entry(), meta, borrowed.payload()), responder_(borrowed.sid(), entry.kind) {}
    void run() override {
        Request req = request_.view(responder_.sid());
        settle_background(responder_, guarded(responder_, [&] { return call_handler(entry_, req, responder_); }));
    }
    const Plugin::Entry &entry_;
    OwnedRequest request_;
    Responder responder_;
};

/** A terminal frame the host's full stream queue refused inside a host call, sent again from the pool. */
struct TerminalRetry final : Task {
    TerminalRetry(std::uint64_t sid, NrStatus status, ByteView data) : sid_(sid), status_(status), data_(data.begin(), data.end()) {}
    void run() override { send_retrying(sid_, status_, data_.data(), data_.size()); }
    std::uint64_t sid_;
    NrStatus status_;
    std::vector<std::uint8_t> data_;
};

inline bool defer_terminal(std::uint64_t sid, NrStatus status, const void *data, std::size_t size) noexcept {
    try {
        std::unique_ptr<Task> task =
            std::make_unique<TerminalRetry>(sid, status, ByteView(static_cast<const std::uint8_t *>(data), size));
        return workers().start(task) == Queued::Yes;
    } catch (...) {
        return false;
    }
}

/* ---- bidirectional sessions ---- */

/** One open stream: its Session, the entry it runs, and the references that keep it alive. */
struct SessionSlot {
    SpinLock lock;                  // one callback of a session at a time
    std::atomic<unsigned> refs{1};  // the table's while listed, plus one per holder (SlotRef)
    bool listed = false;            // guarded by its bucket's lock
    SessionSlot *next = nullptr;    // the next slot in its bucket
    Session session;
    const Plugin::Entry *entry;
    SessionSlot(std::uint64_t sid, const Plugin::Entry *e) : session(sid), entry(e) {}
};

/** One reference to a SessionSlot; the last one to go deletes it. */
class SlotRef {
public:
    /** Adopts a reference already counted in `slot->refs`. */
    explicit SlotRef(SessionSlot *slot = nullptr) noexcept : slot_(slot) {}
    SlotRef(SlotRef &&other) noexcept : slot_(std::exchange(other.slot_, nullptr)) {}
    SlotRef &operator=(SlotRef &&other) noexcept {
        if (this != &other) {
            reset();
            slot_ = std::exchange(other.slot_, nullptr);
        }
        return *this;
    }
    SlotRef(const SlotRef &) = delete;
    SlotRef &operator=(const SlotRef &) = delete;
    ~SlotRef() { reset(); }

    SessionSlot *get() const noexcept { return slot_; }
    SessionSlot *operator->() const noexcept { return slot_; }
    explicit operator bool() const noexcept { return slot_ != nullptr; }
    void reset() noexcept {
        if (slot_ != nullptr && slot_->refs.fetch_sub(1) == 1) delete slot_;
        slot_ = nullptr;
    }

private:
    SessionSlot *slot_;
};

/**
 * The open sessions: an intrusive list per bucket, a lock per bucket (so streams on
 * different threads do not share one), and a reference count in each slot.
 */
class Sessions {
public:
    SlotRef find(std::uint64_t sid) noexcept {
        Bucket &b = bucket(sid);
        std::lock_guard<SpinLock> lock(b.lock);
        return take_ref(locate(b, sid));
    }
    /** Lists a new session (the table takes a reference); false for a sid already open or once shutdown has begun. */
    bool add(SessionSlot *slot) noexcept {
        Bucket &b = bucket(slot->session.sid());
        std::lock_guard<SpinLock> lock(b.lock);
        if (host().stopping.load() || locate(b, slot->session.sid()) != nullptr) return false;
        slot->refs.fetch_add(1);
        slot->next = b.head;
        slot->listed = true;
        b.head = slot;
        return true;
    }
    void remove(std::uint64_t sid) noexcept {
        SlotRef gone;  // the table's reference, dropped after the lock
        Bucket &b = bucket(sid);
        std::lock_guard<SpinLock> lock(b.lock);
        for (SessionSlot **link = &b.head; *link != nullptr; link = &(*link)->next) {
            if ((*link)->session.sid() != sid) continue;
            SessionSlot *slot = *link;
            *link = slot->next;
            slot->listed = false;
            gone = SlotRef(slot);
            return;
        }
    }
    /** Any session still open; empty when none is left. */
    SlotRef any() noexcept {
        for (Bucket &b : buckets_) {
            std::lock_guard<SpinLock> lock(b.lock);
            if (b.head != nullptr) return take_ref(b.head);
        }
        return SlotRef();
    }

private:
    static constexpr std::size_t kBuckets = 64;
    struct alignas(kCacheLine) Bucket {
        SpinLock lock;
        SessionSlot *head = nullptr;
    };

    Bucket &bucket(std::uint64_t sid) noexcept {
        static_assert(kBuckets == 64, "a bucket is picked by the top 6 bits of a hash");
        return buckets_[(sid * UINT64_C(0x9E3779B97F4A7C15)) >> 58];
    }
    static SessionSlot *locate(const Bucket &b, std::uint64_t sid) noexcept {
        SessionSlot *slot = b.head;
        while (slot != nullptr && slot->session.sid() != sid) slot = slot->next;
        return slot;
    }
    static SlotRef take_ref(SessionSlot *slot) noexcept {
        if (slot != nullptr) slot->refs.fetch_add(1);
        return SlotRef(slot);
    }

    Bucket buckets_[kBuckets];
};

inline Sessions &sessions() {
    static Sessions *s = new Sessions();  // leaked on purpose, like workers()
    return *s;
}

inline void unlist_session(std::uint64_t sid) noexcept { sessions().remove(sid); }

/** Runs one callback of a stream inside a host call: its sends skip the shutdown gate meanwhile. */
template <typename F>
Status session_callback(Responder &res, F &&fn) noexcept {
    ResponderAccess::inside_host_call(res, true);
    Status status = guarded(res, std::forward<F>(fn));
    ResponderAccess::inside_host_call(res, false);
    return status;
}

inline NrStatus open_session(const Plugin::Entry &entry, const Request &req) {
    SlotRef slot(new SessionSlot(req.sid(), &entry));
    std::unique_lock<SpinLock> lock(slot->lock);  // held until the open handler returns
    if (!sessions().add(slot.get())) {
        ResponderAccess::reject(slot->session.responder());
        return NR_STATUS_INVALID;
    }
    Responder &res = slot->session.responder();
    Status status = session_callback(res, [&] { return entry.open ? entry.open(req, slot->session) : Status::Ok; });
    if (res.done() || ResponderAccess::sent(res) || status == Status::Ok) return NR_STATUS_OK;
    ResponderAccess::reject(res);  // rejected: nothing may follow
    sessions().remove(req.sid());
    return to_c(as_rejection(status));
}

inline NrStatus session_data(SessionSlot &slot, ByteView data) {
    Responder &res = slot.session.responder();
    if (res.done()) return NR_STATUS_INVALID;
    if (!slot.entry->on_data) return NR_STATUS_UNSUPPORTED;
    Status status = session_callback(res, [&] { return slot.entry->on_data(slot.session, data); });
    return to_c(status == Status::Ok ? status : as_rejection(status));
}

inline NrStatus session_close(SessionSlot &slot) {
    Responder &res = slot.session.responder();
    if (res.done()) return NR_STATUS_INVALID;
    Status status =
        session_callback(res, [&] { return slot.entry->on_close ? slot.entry->on_close(slot.session) : Status::Ok; });
    ResponderAccess::inside_host_call(res, true);  // the terminal frame, still inside stream_close
    if (status == Status::Ok || status == Status::StreamEnd) {
        res.end();
    } else {
        res.fail(status, "the stream was closed with an error");
    }
    ResponderAccess::inside_host_call(res, false);
    return NR_STATUS_OK;
}

/** Shutdown: every stream still open ends with Err. */
inline void end_all_sessions() noexcept {
    while (SlotRef slot = sessions().any()) {
        std::lock_guard<SpinLock> lock(slot->lock);
        slot->session.responder().fail(Status::Err, "the plugin shut down");
        sessions().remove(slot->session.sid());
    }
}

/* ---- calls into the plugin, for the generation layer's vtable ---- */

/** After a synchronous handler: what handle returns, and the Err a forgetful handler owes. */
inline NrStatus settle(Responder &res, Status status) noexcept {
    if (!ResponderAccess::owner(res) || res.done() || ResponderAccess::sent(res) || status == Status::Ok) {
        return NR_STATUS_OK;  // answered, moved to a background task, or answered Err by the destructor
    }
    ResponderAccess::reject(res);
    return to_c(as_rejection(status));
}

/** An entry name that routes nowhere: Unsupported, or Invalid when it is not even text. */
NR_PLUGIN_NOINLINE inline NrStatus unknown_entry(std::string_view name) noexcept {
    return utf8_valid(name) ? NR_STATUS_UNSUPPORTED : NR_STATUS_INVALID;
}

/** A call that does not run on the host's thread: a bidirectional stream, or work for the pool. */
NR_PLUGIN_NOINLINE inline NrStatus run_elsewhere(const Plugin::Entry &entry, std::uint64_t sid, const abi::Meta *meta,
                                                 ByteView payload) noexcept {
    Request req(sid, entry.name, meta, payload);
    try {
        if (entry.kind == Kind::Bidi) return open_session(entry, req);
        auto call = std::make_unique<BackgroundCall>(entry, req, meta);
        Responder &res = call->responder_;
        std::unique_ptr<Task> task(std::move(call));
        Queued queued = workers().start(task);
        if (queued == Queued::Yes) return NR_STATUS_OK;
        ResponderAccess::reject(res);  // not started: the task, still ours, must send nothing
        return queued == Queued::Full ? abi::kBusyStatus : static_cast<NrStatus>(NR_STATUS_ERR);
    } catch (...) {
        return NR_STATUS_ERR;  // out of memory before anything was sent
    }
}

/**
 * A synchronous call from start to end: the request (named by the entry's own copy of
 * the name) and its Responder on this stack, the handler behind try/catch, then what
 * handle returns. Kept apart from the routing, so that routing needs no frame of its own.
 */
NR_PLUGIN_NOINLINE inline NrStatus run_sync(const Plugin::Entry &entry, std::uint64_t sid, const abi::Meta *meta,
                                            ByteView payload) noexcept {
    Request req(sid, entry.name, meta, payload);
    Responder res(sid, entry.kind, false);
    Status status;
    try {
        status = call_handler(entry, req, res);
    } catch (...) {
        res.fail(abi::kPanicStatus, what(std::current_exception()));
        status = abi::kPanicStatus;
    }
    return settle(res, status);
}

/** Runs the call `entry` names; every branch a tail call, so routing keeps no frame of its own. */
inline NrStatus run_entry(const Plugin::Entry *entry, std::string_view name, std::uint64_t sid, const abi::Meta *meta,
                          NrBytes payload) noexcept {
    if (entry == nullptr) return unknown_entry(name);
    if (entry->probe && !host().probes.load(std::memory_order_relaxed)) return NR_STATUS_UNSUPPORTED;
    if (entry->kind == Kind::Bidi || entry->run == Run::Background) {
        return run_elsewhere(*entry, sid, meta, nylon_ring::view(payload));
    }
    return run_sync(*entry, sid, meta, nylon_ring::view(payload));
}

/** The general case: a name longer than 16 bytes, or one whose first probe found another name. */
NR_PLUGIN_NOINLINE inline NrStatus dispatch_probing(std::string_view name, std::uint64_t sid, const abi::Meta *meta,
                                                    NrBytes payload) noexcept {
    return run_entry(plugin_slot()->find(name), name, sid, meta, payload);
}

/** Whether calls are taken now (init done, shutdown not begun). */
inline bool accepting() noexcept {
    return plugin_slot() != nullptr && host().live.load(std::memory_order_acquire) &&
           !host().stopping.load(std::memory_order_relaxed);
}

/** handle (both generations) and handle_raw (ABI 1) once the generation's own checks are done. */
inline NrStatus dispatch(NrStr name, std::uint64_t sid, const abi::Meta *meta, NrBytes payload) noexcept {
    if (!accepting()) return NR_STATUS_ERR;
    if (!str_ok(name) || !bytes_ok(payload)) return NR_STATUS_INVALID;
    const Plugin *plugin = plugin_slot();
    std::string_view entry_name = str_view(name);
    const Plugin::Entry *entry;
    if (entry_name.size() > 16 || !plugin->find_first(entry_name, &entry)) {
        return dispatch_probing(entry_name, sid, meta, payload);
    }
    return run_entry(entry, entry_name, sid, meta, payload);
}

/** resolve_entry: the id of the entry `name` routes to, or NR_ENTRY_UNKNOWN. */
inline std::uint32_t resolve(NrStr name) noexcept {
    const Plugin *plugin = plugin_slot();
    if (plugin == nullptr || !str_ok(name)) return UINT32_MAX;
    const Plugin::Entry *entry = plugin->find(str_view(name));
    return entry == nullptr ? UINT32_MAX : plugin->id_of(entry);
}

/** handle_by_id: exactly what handle does for the name the id was resolved from. */
inline NrStatus dispatch_id(std::uint32_t id, std::uint64_t sid, NrBytes payload) noexcept {
    if (!accepting()) return NR_STATUS_ERR;
    if (!bytes_ok(payload)) return NR_STATUS_INVALID;
    const Plugin::Entry *entry = plugin_slot()->by_id(id);
    if (entry == nullptr) return NR_STATUS_UNSUPPORTED;
    return run_entry(entry, entry->name, sid, nullptr, payload);
}

/** Whether the environment enables panic probes (read once per init). */
inline bool probes_from_environment() noexcept {
    const char *value = std::getenv("NYLON_RING_ENABLE_PROBES");
    return value != nullptr && std::strcmp(value, "1") == 0;
}

/** init, once the generation has checked and stored the host's vtable in host().fns. */
inline NrStatus start(void *ctx) noexcept {
    const Plugin *plugin = plugin_slot();
    if (plugin == nullptr) return NR_STATUS_ERR;  // defining the plugin threw
    host().ctx = ctx;
    host().probes.store(probes_from_environment());
    host().stopping.store(false);
    host().live.store(true);
    if (!plugin->init_hook()) return NR_STATUS_OK;
    Status status;
    try {
        status = plugin->init_hook()();
    } catch (...) {
        status = Status::Err;
    }
    if (status == Status::Ok) return NR_STATUS_OK;
    host().live.store(false);
    return to_c(as_rejection(status));
}

inline void stop() noexcept {
    host().stopping.store(true);
    workers().join_all();
    end_all_sessions();
    const Plugin *plugin = plugin_slot();
    if (plugin != nullptr && plugin->shutdown_hook() && host().live.load()) {
        try {
            plugin->shutdown_hook()();
        } catch (...) {
            // nothing to answer: shutdown goes on
        }
    }
    close_gate();
}

inline NrStatus stream_data(std::uint64_t sid, NrBytes data) noexcept {
    if (!bytes_ok(data)) return NR_STATUS_INVALID;
    try {
        SlotRef slot = sessions().find(sid);
        if (!slot) return NR_STATUS_INVALID;
        std::lock_guard<SpinLock> lock(slot->lock);
        return session_data(*slot.get(), nylon_ring::view(data));
    } catch (...) {
        return to_c(abi::kPanicStatus);
    }
}

inline NrStatus stream_close(std::uint64_t sid) noexcept {
    try {
        SlotRef slot = sessions().find(sid);
        if (!slot) return NR_STATUS_INVALID;
        std::lock_guard<SpinLock> lock(slot->lock);
        return session_close(*slot.get());
    } catch (...) {
        return to_c(abi::kPanicStatus);
    }
}

/** The plugin, defined once: the NYLON_RING_PLUGIN body runs here. nullptr when it threw. */
inline const Plugin *define_plugin(const char *name, const char *version, void (*define)(Plugin &)) noexcept {
    static std::once_flag once;
    try {
        std::call_once(once, [&] {
            auto *plugin = new Plugin(name, version);  // lives as long as the process
            try {
                define(*plugin);
            } catch (...) {
                delete plugin;
                throw;
            }
            plugin_slot() = plugin;  // a throwing definition leaves no plugin: init fails
        });
    } catch (...) {
        // out of memory, or the definition threw
    }
    return plugin_slot();
}

/* ---- the embedded manifest ---- */

/** A TOML basic string, or nullopt when `text` is not UTF-8 (then it is written as hex). */
inline std::optional<std::string> toml_string(std::string_view text) {
    if (!utf8_valid(text)) return std::nullopt;
    std::string out = "\"";
    for (char c : text) {
        unsigned char u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7F) {
            char escaped[8];
            std::snprintf(escaped, sizeof(escaped), "\\u%04X", u);
            out += escaped;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

inline std::string toml_hex(std::string_view bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string out = "\"";
    for (char c : bytes) {
        out += digits[static_cast<unsigned char>(c) >> 4];
        out += digits[static_cast<unsigned char>(c) & 15];
    }
    return out + "\"";
}

/** `key = "text"`, or `key_hex = "..."` for bytes that are not UTF-8. */
inline std::string toml_bytes(const char *key, std::string_view bytes) {
    std::optional<std::string> text = toml_string(bytes);
    return text ? std::string(key) + " = " + *text + "\n" : std::string(key) + "_hex = " + toml_hex(bytes) + "\n";
}

inline std::string toml_list(const char *key, const std::vector<std::string> &items) {
    bool text = std::all_of(items.begin(), items.end(), [](const std::string &s) { return utf8_valid(s); });
    std::string out = std::string(key) + (text ? " = [" : "_hex = [");
    for (std::size_t i = 0; i < items.size(); ++i) {
        out += (i ? ", " : "") + (text ? *toml_string(items[i]) : toml_hex(items[i]));
    }
    return out + "]\n";
}

inline std::string manifest_entry(const Plugin::Entry &e) {
    std::string out = "\n[[entries]]\nname = " + toml_string(e.name).value_or("\"\"") + "\n";
    out += std::string("mode = \"") + abi::mode_name(e.kind == Kind::Unary, e.kind == Kind::Bidi, e.with_request) + "\"\n";
    if (!e.sample.present) return out;
    out += toml_bytes("payload", e.sample.payload);
    if (e.kind == Kind::Unary) return out + "expect_status = \"Ok\"\n" + toml_bytes("expect", e.sample.expect);
    if (e.kind == Kind::Bidi) out += toml_list("send", e.sample.send);
    return out + toml_list("expect_frames", e.sample.frames) + "expect_terminal = \"StreamEnd\"\n";
}

inline std::string manifest_probe(const Plugin::Entry &e) {
    return "\n[[panic_probes]]\nname = " + toml_string(e.name).value_or("\"\"") + "\nmode = \"" + abi::kProbeMode +
           "\"\npayload = \"\"\n";
}

/**
 * The nylon-ring.toml manifest of this plugin, written from its route table: every
 * entry with its mode (and its sample call, where registered), then the panic probes.
 */
inline std::string manifest_of(const Plugin &plugin) {
    std::string out = "# The manifest nylon-ring-sdk's C++ SDK wrote from this plugin's route table.\n\n[plugin]\n";
    out += "name = " + toml_string(plugin.name()).value_or("\"\"") + "\nunknown_entry = \"unsupported\"\n";
    std::vector<std::string_view> seen;
    for (const Plugin::Entry &e : plugin.entries()) {
        if (e.probe || std::find(seen.begin(), seen.end(), e.name) != seen.end()) continue;
        seen.push_back(e.name);
        out += manifest_entry(e);
    }
    for (const Plugin::Entry &e : plugin.entries()) {
        if (e.probe) out += manifest_probe(e);
    }
    return out;
}

/** The manifest as a NUL-terminated text that lives as long as the process (empty when there is no plugin). */
inline const std::uint8_t *manifest_text() noexcept {
    static const std::string *text = nullptr;
    static std::once_flag once;
    try {
        std::call_once(once, [] {
            const Plugin *plugin = plugin_slot();
            text = new std::string(plugin != nullptr ? manifest_of(*plugin) : std::string());
        });
    } catch (...) {
        // out of memory: no manifest
    }
    return reinterpret_cast<const std::uint8_t *>(text != nullptr ? text->c_str() : "");
}

}  // namespace detail
}  // namespace nylon_ring::sdk

#endif /* NR_CORE_HPP */

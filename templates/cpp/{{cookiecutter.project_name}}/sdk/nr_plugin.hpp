/*
 * nr_plugin.hpp: a header-only C++17 SDK for nylon-ring plugins.
 *
 *     NYLON_RING_PLUGIN("my-plugin", "0.1.0", plugin) {
 *         plugin.unary("echo", [](const nylon_ring::sdk::Request &req, nylon_ring::sdk::Responder &res) {
 *             res.ok(req.payload());
 *             return nylon_ring::Status::Ok;
 *         });
 *     }
 *
 * Use the macro in exactly one source file: it defines the exported symbols. The SDK
 * keeps the ABI's rules for every handler:
 *
 *  - routing by entry name; an unknown name is answered Unsupported (Invalid when
 *    it is not valid UTF-8); NULL pointers with a length, a NULL request: Invalid;
 *  - try/catch(...) at every boundary: an exception becomes an Err answer, never
 *    an unwind into the host;
 *  - a Responder answers a unary call once and ends a stream once (later sends are
 *    dropped); its destructor answers Err for a handler that forgot to;
 *  - background entries and spawn() run on tracked threads; shutdown joins them,
 *    ends open bidirectional streams, and after it returns nothing calls the host
 *    (sends are dropped);
 *  - the state extension (nylon_ring_set_host_ext_v1) is reached through the
 *    Responder; the layout probe export is defined.
 *
 * The synchronous path allocates nothing and takes no lock.
 */
#ifndef NR_PLUGIN_HPP
#define NR_PLUGIN_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "nylon_ring.hpp"

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
    Background,  ///< on a tracked thread with copies of the request; joined at shutdown
};

/** What happened to a send. */
enum class Sent {
    Sent,       ///< handed to the host
    Ended,      ///< dropped: the call already had its answer or terminal frame
    ShutDown,   ///< dropped: the plugin has been shut down
    WrongKind,  ///< not sent: frames and end() belong to streams
};

namespace detail {

/** The host as init and nylon_ring_set_host_ext_v1 handed it over; never destroyed. */
struct Host {
    void *ctx = nullptr;
    NrSendResultFn send = nullptr;
    std::atomic<const NrHostExt *> ext{nullptr};
    std::atomic<bool> live{false};      // init done, shutdown not finished
    std::atomic<bool> stopping{false};  // shutdown has begun: no new work
    std::atomic<std::size_t> callers{0};
};

inline Host &host() {
    static Host *h = new Host();  // leaked on purpose: threads may outlive static destruction
    return *h;
}

/** Every call into the host passes this gate, so shutdown can wait for the last one. */
class Gate {
public:
    Gate() noexcept : open_(enter()) {}
    ~Gate() {
        if (open_) host().callers.fetch_sub(1);
    }
    Gate(const Gate &) = delete;
    Gate &operator=(const Gate &) = delete;
    explicit operator bool() const noexcept { return open_; }

private:
    static bool enter() noexcept {
        host().callers.fetch_add(1);
        if (host().live.load()) return true;
        host().callers.fetch_sub(1);
        return false;
    }
    bool open_;
};

/**
 * Sends one frame. A `shared` sender may run on any thread, so it passes the gate; an
 * unshared one runs inside handle on the host's thread, which shutdown cannot
 * overlap, so checking that the plugin is live is enough.
 */
inline Sent send(std::uint64_t sid, NrStatus status, const void *data, std::size_t size, bool shared) noexcept {
    if (!shared) {
        if (!host().live.load(std::memory_order_acquire)) return Sent::ShutDown;
        host().send(host().ctx, sid, status, nylon_ring::make_bytes(data, size));
        return Sent::Sent;
    }
    Gate gate;
    if (!gate) return Sent::ShutDown;
    host().send(host().ctx, sid, status, nylon_ring::make_bytes(data, size));
    return Sent::Sent;
}

inline bool is_error(Status s) noexcept { return s == Status::Err || s == Status::Invalid || s == Status::Unsupported; }

/** A rejection must be an error status; anything else becomes Err. */
inline Status as_rejection(Status s) noexcept { return is_error(s) ? s : Status::Err; }

inline void unlist_session(std::uint64_t sid) noexcept;

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
    /** Whether the call came through handle (with request metadata) rather than handle_raw. */
    bool has_metadata() const noexcept { return meta_ != nullptr; }
    std::string_view method() const noexcept { return meta_ ? nylon_ring::view(meta_->method) : std::string_view(); }
    std::string_view path() const noexcept { return meta_ ? nylon_ring::view(meta_->path) : std::string_view(); }
    std::string_view query() const noexcept { return meta_ ? nylon_ring::view(meta_->query) : std::string_view(); }
    std::size_t header_count() const noexcept { return meta_ ? meta_->headers_len : 0; }
    std::pair<std::string_view, std::string_view> header_at(std::size_t i) const noexcept {
        if (i >= header_count()) return {};
        return {nylon_ring::view(meta_->headers[i].key), nylon_ring::view(meta_->headers[i].value)};
    }
    /** The first header named `name` (ASCII case-insensitive). */
    std::optional<std::string_view> header(std::string_view name) const noexcept {
        for (std::size_t i = 0; i < header_count(); ++i) {
            auto [key, value] = header_at(i);
            if (equal_nocase(key, name)) return value;
        }
        return std::nullopt;
    }

    Request(std::uint64_t sid, std::string_view entry, const NrRequest *meta, ByteView payload) noexcept
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
    const NrRequest *meta_;
    ByteView payload_;
};

/**
 * Answers one call. Move-only, one owner at a time (not for concurrent use): move it
 * into a background task to answer later. Unary calls take one reply(); streams take
 * frame()s and one end() or fail(). Whatever follows the final answer is dropped. A
 * Responder destroyed before answering sends Err (the handler forgot, or threw).
 */
class Responder {
public:
    /** `shared`: may answer from any thread (the SDK passes false only inside handle on the host's thread). */
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

    /** One Ok frame of a stream. */
    Sent frame(ByteView data) noexcept {
        if (kind_ == Kind::Unary) return Sent::WrongKind;
        if (!owner_ || ended_) return Sent::Ended;
        sent_ = true;
        return detail::send(sid_, NR_STATUS_OK, data.data(), data.size(), shared_);
    }
    Sent frame(std::string_view text) noexcept { return frame(as_bytes(text)); }
    /** Ends a stream normally (StreamEnd). */
    Sent end() noexcept { return kind_ == Kind::Unary ? Sent::WrongKind : final_(Status::StreamEnd, nullptr, 0); }
    /** Ends any call with an error status (Ok or StreamEnd become Err) and a message. */
    Sent fail(Status status, std::string_view message = {}) noexcept {
        return final_(detail::is_error(status) ? status : Status::Err, message.data(), message.size());
    }

    /** Stores `value` under `key` for this sid; `stored` (optional) views the host's copy. */
    bool set_state(std::string_view key, ByteView value, ByteView *stored = nullptr) const noexcept {
        const NrHostExt *ext = detail::host().ext.load();
        if (ext == nullptr || ext->set_state == nullptr || !fits_key(key)) return false;
        detail::Gate gate;
        if (!gate) return false;
        NrBytes copy = ext->set_state(detail::host().ctx, sid_, nylon_ring::make_str(key), nylon_ring::make_bytes(value));
        if (stored != nullptr) *stored = nylon_ring::view(copy);
        return true;
    }
    bool set_state(std::string_view key, std::string_view value) const noexcept { return set_state(key, as_bytes(value)); }
    /** The value under `key` for this sid (empty when absent); nullopt without a state extension. */
    std::optional<ByteView> get_state(std::string_view key) const noexcept {
        const NrHostExt *ext = detail::host().ext.load();
        if (ext == nullptr || ext->get_state == nullptr || !fits_key(key)) return std::nullopt;
        detail::Gate gate;
        if (!gate) return std::nullopt;
        return nylon_ring::view(ext->get_state(detail::host().ctx, sid_, nylon_ring::make_str(key)));
    }

private:
    friend struct ResponderAccess;

    static ByteView as_bytes(std::string_view text) noexcept {
        return {reinterpret_cast<const std::uint8_t *>(text.data()), text.size()};
    }
    static bool fits_key(std::string_view key) noexcept { return key.size() <= UINT32_MAX; }

    Sent final_(Status status, const void *data, std::size_t size) noexcept {
        if (!owner_ || ended_) return Sent::Ended;
        ended_ = sent_ = true;
        if (kind_ == Kind::Bidi) detail::unlist_session(sid_);  // the sid is unknown from now on
        return detail::send(sid_, nylon_ring::to_c(status), data, size, shared_);
    }
    void finish_forgotten() noexcept {
        if (owner_ && !ended_) fail(Status::Err, sent_ ? "the stream was left open" : "the handler did not answer");
    }
    void take(Responder &other) noexcept {
        sid_ = other.sid_;
        kind_ = other.kind_;
        ended_ = other.ended_;
        sent_ = other.sent_;
        owner_ = other.owner_;
        shared_ = true;
        other.owner_ = false;
    }

    std::uint64_t sid_ = 0;
    Kind kind_ = Kind::Unary;
    bool ended_ = false;
    bool sent_ = false;
    bool owner_ = true;
    bool shared_ = true;
};

/** What the SDK reads of a Responder after a handler returns. */
struct ResponderAccess {
    static bool owner(const Responder &r) noexcept { return r.owner_; }
    static bool sent(const Responder &r) noexcept { return r.sent_; }
    /** A rejected call: nothing may be sent for it, not even the destructor's Err. */
    static void reject(Responder &r) noexcept { r.ended_ = true; }
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

/** The plugin: its identity and its entries, filled in by the NYLON_RING_PLUGIN body. */
class Plugin {
public:
    struct Entry {
        std::string name;
        Kind kind;
        Run run;
        Handler handler;
        OpenHandler open;
        DataHandler on_data;
        CloseHandler on_close;
    };

    Plugin(std::string name, std::string version) : name_(std::move(name)), version_(std::move(version)) {}

    /** An entry answered exactly once. */
    Plugin &unary(std::string name, Handler handler, Run run = Run::Sync) {
        return add(Entry{std::move(name), Kind::Unary, run, std::move(handler), {}, {}, {}});
    }
    /** An entry that sends frames, then one terminal frame. */
    Plugin &stream(std::string name, Handler handler, Run run = Run::Sync) {
        return add(Entry{std::move(name), Kind::Stream, run, std::move(handler), {}, {}, {}});
    }
    /**
     * A bidirectional entry: `open` accepts the stream, `on_data` gets each frame the
     * host sends, `on_close` (optional) runs when the host closes its side; the stream
     * then ends with StreamEnd, or with the error status on_close returns.
     */
    Plugin &bidi(std::string name, OpenHandler open, DataHandler on_data, CloseHandler on_close = {}) {
        return add(Entry{std::move(name), Kind::Bidi, Run::Sync, {}, std::move(open), std::move(on_data),
                         std::move(on_close)});
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

    const std::string &name() const noexcept { return name_; }
    const std::string &version() const noexcept { return version_; }
    const std::vector<Entry> &entries() const noexcept { return entries_; }
    const Entry *find(std::string_view name) const noexcept {
        for (const Entry &e : entries_) {
            if (e.name == name) return &e;
        }
        return nullptr;
    }
    const std::function<Status()> &init_hook() const noexcept { return init_; }
    const std::function<void()> &shutdown_hook() const noexcept { return shutdown_; }

private:
    Plugin &add(Entry entry) {
        entries_.push_back(std::move(entry));
        return *this;
    }

    std::string name_;
    std::string version_;
    std::vector<Entry> entries_;
    std::function<Status()> init_;
    std::function<void()> shutdown_;
};

namespace detail {

/** Work for a background thread. */
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

/** Background threads: started while the plugin runs, all joined by shutdown. */
struct Workers {
    struct Worker {
        std::thread thread;
        std::atomic<bool> done{false};
    };
    std::mutex mutex;
    std::list<Worker> running;

    /** Starts `task` on a new thread; on false (shutting down, no thread) the caller keeps it. */
    bool start(std::unique_ptr<Task> &task) {
        std::list<Worker> finished;
        bool started = false;
        {
            std::lock_guard<std::mutex> lock(mutex);
            reap_locked(finished, false);
            if (!host().stopping.load()) started = launch_locked(task);
        }
        join(finished);
        return started;
    }

    /** Shutdown: waits for every thread (new ones are refused by now). */
    void join_all() noexcept {
        for (;;) {
            std::list<Worker> all;
            try {
                std::lock_guard<std::mutex> lock(mutex);
                reap_locked(all, true);
            } catch (...) {
                return;  // the lock itself failed: nothing sane is left to wait for
            }
            if (all.empty()) return;
            join(all);
        }
    }

private:
    bool launch_locked(std::unique_ptr<Task> &task) noexcept {
        try {
            running.emplace_back();
            Worker *w = &running.back();
            Task *raw = task.get();
            w->thread = std::thread([raw, w] {
                std::unique_ptr<Task> owned(raw);
                try {
                    owned->run();
                } catch (...) {
                    // the task's Responder, destroyed below, answers Err
                }
                owned.reset();
                w->done.store(true);
            });
            task.release();
            return true;
        } catch (...) {
            if (!running.empty() && !running.back().thread.joinable()) running.pop_back();
            return false;
        }
    }
    void reap_locked(std::list<Worker> &out, bool all) noexcept {
        for (auto it = running.begin(); it != running.end();) {
            auto next = std::next(it);
            if (all || it->done.load()) out.splice(out.end(), running, it);
            it = next;
        }
    }
    void join(std::list<Worker> &list) noexcept {
        for (auto it = list.begin(); it != list.end();) {
            auto next = std::next(it);
            try {
                if (it->thread.joinable()) it->thread.join();
            } catch (...) {
                // shutdown runs on this very task's thread, which cannot wait for itself; the
                // thread still writes `done` into its node, so the node is kept for good
                it->thread.detach();
                std::lock_guard<std::mutex> lock(mutex);
                orphans.splice(orphans.end(), list, it);
            }
            it = next;
        }
    }
    std::list<Worker> orphans;
};

inline Workers &workers() {
    static Workers *w = new Workers();  // leaked on purpose, like host()
    return *w;
}

}  // namespace detail

/**
 * Runs `job` on a tracked background thread (shutdown waits for it); move a Responder
 * into it to answer from there. False when the plugin is shutting down or no thread
 * could start: `job` is then destroyed here (a Responder inside it answers Err).
 */
template <typename F>
bool spawn(F &&job) noexcept {
    try {
        std::unique_ptr<detail::Task> task = std::make_unique<detail::FnTask<std::decay_t<F>>>(std::forward<F>(job));
        return detail::workers().start(task);
    } catch (...) {
        return false;
    }
}

/** Whether shutdown has begun: long-running background work should finish. */
inline bool shutting_down() noexcept { return detail::host().stopping.load(); }

/** Whether the host handed over a state extension. */
inline bool state_available() noexcept {
    const NrHostExt *ext = detail::host().ext.load();
    return ext != nullptr && ext->set_state != nullptr && ext->get_state != nullptr;
}

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

/** Runs a handler; an exception fails the call with Err and its message. */
template <typename F>
Status guarded(Responder &res, F &&fn) noexcept {
    try {
        return fn();
    } catch (...) {
        res.fail(Status::Err, what(std::current_exception()));
        return Status::Err;
    }
}

inline const Plugin *&plugin_slot() noexcept {
    static const Plugin *plugin = nullptr;
    return plugin;
}

/* ---- input checks ---- */

inline bool str_ok(const NrStr &s) noexcept { return s.ptr != nullptr || s.len == 0; }

inline bool bytes_ok(const NrBytes &b) noexcept {
    return (b.ptr != nullptr || b.len == 0) && static_cast<std::uint64_t>(static_cast<std::size_t>(b.len)) == b.len;
}

inline bool request_ok(const NrRequest *req) noexcept {
    if (req == nullptr || !str_ok(req->path) || !str_ok(req->method) || !str_ok(req->query)) return false;
    if (req->headers == nullptr) return req->headers_len == 0;
    for (std::uint32_t i = 0; i < req->headers_len; ++i) {
        if (!str_ok(req->headers[i].key) || !str_ok(req->headers[i].value)) return false;
    }
    return true;
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
    OwnedRequest(std::string_view entry, const NrRequest *meta, ByteView payload)
        : entry_(entry), payload_(payload.begin(), payload.end()), has_meta_(meta != nullptr) {
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
    OwnedRequest(const OwnedRequest &) = delete;
    OwnedRequest &operator=(const OwnedRequest &) = delete;

    Request view(std::uint64_t sid) const noexcept {
        return Request(sid, entry_, has_meta_ ? &meta_ : nullptr, ByteView(payload_.data(), payload_.size()));
    }

private:
    std::string entry_;
    std::vector<std::uint8_t> payload_;
    bool has_meta_;
    std::string method_, path_, query_;
    std::vector<std::string> strings_;
    std::vector<NrHeader> headers_;
    NrRequest meta_{};
};

/** After a handler: the call always ends, with the handler's status if it did not. */
inline void settle_background(Responder &res, Status status) noexcept {
    if (res.done()) return;
    if (ResponderAccess::sent(res) || status == Status::Ok) return;  // the destructor answers Err
    res.reply(as_rejection(status));
}

struct BackgroundCall final : Task {
    BackgroundCall(const Plugin::Entry &entry, const Request &borrowed, const NrRequest *meta)
        : entry_(entry), request_(borrowed.entry(), meta, borrowed.payload()), responder_(borrowed.sid(), entry.kind) {}
    void run() override {
        Request req = request_.view(responder_.sid());
        settle_background(responder_, guarded(responder_, [&] { return entry_.handler(req, responder_); }));
    }
    const Plugin::Entry &entry_;
    OwnedRequest request_;
    Responder responder_;
};

/* ---- bidirectional sessions ---- */

struct SessionSlot {
    std::mutex mutex;  // one callback of a session at a time
    Session session;
    const Plugin::Entry *entry;
    SessionSlot(std::uint64_t sid, const Plugin::Entry *e) : session(sid), entry(e) {}
};

struct Sessions {
    std::mutex mutex;
    std::unordered_map<std::uint64_t, std::shared_ptr<SessionSlot>> open;

    std::shared_ptr<SessionSlot> find(std::uint64_t sid) {
        std::lock_guard<std::mutex> lock(mutex);
        auto it = open.find(sid);
        return it == open.end() ? nullptr : it->second;
    }
    /** Lists a new session; false for a sid already open or once shutdown has begun. */
    bool add(const std::shared_ptr<SessionSlot> &slot) {
        std::lock_guard<std::mutex> lock(mutex);
        return !host().stopping.load() && open.emplace(slot->session.sid(), slot).second;
    }
    void remove(std::uint64_t sid) noexcept {
        std::shared_ptr<SessionSlot> gone;  // released after the lock
        std::lock_guard<std::mutex> lock(mutex);
        auto it = open.find(sid);
        if (it == open.end()) return;
        gone = std::move(it->second);
        open.erase(it);
    }
    std::vector<std::shared_ptr<SessionSlot>> all() {
        std::lock_guard<std::mutex> lock(mutex);
        std::vector<std::shared_ptr<SessionSlot>> out;
        for (auto &kv : open) out.push_back(kv.second);
        return out;
    }
};

inline Sessions &sessions() {
    static Sessions *s = new Sessions();  // leaked on purpose, like host()
    return *s;
}

inline void unlist_session(std::uint64_t sid) noexcept { sessions().remove(sid); }

inline NrStatus open_session(const Plugin::Entry &entry, const Request &req) {
    auto slot = std::make_shared<SessionSlot>(req.sid(), &entry);
    if (!sessions().add(slot)) {
        ResponderAccess::reject(slot->session.responder());
        return NR_STATUS_INVALID;
    }
    std::lock_guard<std::mutex> lock(slot->mutex);
    Responder &res = slot->session.responder();
    Status status = guarded(res, [&] { return entry.open ? entry.open(req, slot->session) : Status::Ok; });
    if (res.done() || ResponderAccess::sent(res) || status == Status::Ok) return NR_STATUS_OK;
    ResponderAccess::reject(res);  // rejected: nothing may follow
    sessions().remove(req.sid());
    return to_c(as_rejection(status));
}

inline NrStatus session_data(SessionSlot &slot, ByteView data) {
    Responder &res = slot.session.responder();
    if (res.done()) return NR_STATUS_INVALID;
    if (!slot.entry->on_data) return NR_STATUS_UNSUPPORTED;
    Status status = guarded(res, [&] { return slot.entry->on_data(slot.session, data); });
    return to_c(status == Status::Ok ? status : as_rejection(status));
}

inline NrStatus session_close(SessionSlot &slot) {
    Responder &res = slot.session.responder();
    if (res.done()) return NR_STATUS_INVALID;
    Status status = guarded(res, [&] { return slot.entry->on_close ? slot.entry->on_close(slot.session) : Status::Ok; });
    if (status == Status::Ok || status == Status::StreamEnd) {
        res.end();
    } else {
        res.fail(status, "the stream was closed with an error");
    }
    return NR_STATUS_OK;
}

/** Shutdown: every stream still open ends with Err. */
inline void end_all_sessions() noexcept {
    try {
        for (auto &slot : sessions().all()) {
            std::lock_guard<std::mutex> lock(slot->mutex);
            slot->session.responder().fail(Status::Err, "the plugin shut down");
            sessions().remove(slot->session.sid());
        }
    } catch (...) {
        // out of memory listing the sessions: they end when the host drops them
    }
}

/* ---- the vtable ---- */

/** After a synchronous handler: what handle returns, and the Err a forgetful handler owes. */
inline NrStatus settle(Responder &res, Status status) noexcept {
    if (!ResponderAccess::owner(res) || res.done() || ResponderAccess::sent(res) || status == Status::Ok) {
        return NR_STATUS_OK;  // answered, moved to a background task, or answered Err by the destructor
    }
    ResponderAccess::reject(res);
    return to_c(as_rejection(status));
}

inline NrStatus dispatch(NrStr name, std::uint64_t sid, const NrRequest *meta, NrBytes payload) noexcept {
    const Plugin *plugin = plugin_slot();
    if (plugin == nullptr || !host().live.load(std::memory_order_acquire) ||
        host().stopping.load(std::memory_order_relaxed)) {
        return NR_STATUS_ERR;
    }
    if (!str_ok(name) || !bytes_ok(payload)) return NR_STATUS_INVALID;
    std::string_view entry_name = nylon_ring::view(name);
    const Plugin::Entry *entry = plugin->find(entry_name);
    if (entry == nullptr) return utf8_valid(entry_name) ? NR_STATUS_UNSUPPORTED : NR_STATUS_INVALID;
    Request req(sid, entry_name, meta, nylon_ring::view(payload));
    try {
        if (entry->kind == Kind::Bidi) return open_session(*entry, req);
        if (entry->run == Run::Background) {
            auto call = std::make_unique<BackgroundCall>(*entry, req, meta);
            Responder &res = call->responder_;
            std::unique_ptr<Task> task(std::move(call));
            if (workers().start(task)) return NR_STATUS_OK;
            ResponderAccess::reject(res);  // not started: the task, still ours, must send nothing
            return NR_STATUS_ERR;
        }
    } catch (...) {
        return NR_STATUS_ERR;  // out of memory before anything was sent
    }
    Responder res(sid, entry->kind, false);
    Status status = guarded(res, [&] { return entry->handler(req, res); });
    return settle(res, status);
}

inline NrStatus plugin_init(void *, void *ctx, const NrHostVTable *vtable) noexcept {
    const Plugin *plugin = plugin_slot();
    if (vtable == nullptr || vtable->send_result == nullptr) return NR_STATUS_INVALID;
    if (plugin == nullptr) return NR_STATUS_ERR;  // defining the plugin threw
    host().ctx = ctx;
    host().send = vtable->send_result;
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

inline NrStatus plugin_handle(void *, NrStr entry, std::uint64_t sid, const NrRequest *req, NrBytes payload) noexcept {
    if (!request_ok(req)) return NR_STATUS_INVALID;
    return dispatch(entry, sid, req, payload);
}

inline NrStatus plugin_handle_raw(void *, NrStr entry, std::uint64_t sid, NrBytes payload) noexcept {
    return dispatch(entry, sid, nullptr, payload);
}

inline void plugin_shutdown(void *) noexcept {
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
    host().live.store(false);
    while (host().callers.load() != 0) std::this_thread::yield();
    host().ext.store(nullptr);
}

inline NrStatus plugin_stream_data(void *, std::uint64_t sid, NrBytes data) noexcept {
    if (!bytes_ok(data)) return NR_STATUS_INVALID;
    try {
        std::shared_ptr<SessionSlot> slot = sessions().find(sid);
        if (slot == nullptr) return NR_STATUS_INVALID;
        std::lock_guard<std::mutex> lock(slot->mutex);
        return session_data(*slot, nylon_ring::view(data));
    } catch (...) {
        return NR_STATUS_ERR;
    }
}

inline NrStatus plugin_stream_close(void *, std::uint64_t sid) noexcept {
    try {
        std::shared_ptr<SessionSlot> slot = sessions().find(sid);
        if (slot == nullptr) return NR_STATUS_INVALID;
        std::lock_guard<std::mutex> lock(slot->mutex);
        return session_close(*slot);
    } catch (...) {
        return NR_STATUS_ERR;
    }
}

/** The plugin info, built once: the NYLON_RING_PLUGIN body runs here. */
inline const NrPluginInfo *plugin_info(const char *name, const char *version, void (*define)(Plugin &)) noexcept {
    static const NrPluginVTable vtable = {plugin_init,     plugin_handle,      plugin_handle_raw,
                                          plugin_shutdown, plugin_stream_data, plugin_stream_close};
    static NrPluginInfo info{};
    static std::once_flag once;
    try {
        std::call_once(once, [&] {
            auto *plugin = new Plugin(name, version);  // lives as long as the process
            info = nylon_ring::make_plugin_info(NR_ABI_VERSION, static_cast<std::uint32_t>(sizeof(NrPluginInfo)),
                                                plugin->name(), plugin->version(), nullptr, &vtable);
            define(*plugin);
            plugin_slot() = plugin;  // a throwing definition leaves no plugin: init fails
        });
    } catch (...) {
        // out of memory, or the definition threw: the info is returned as it is
    }
    return &info;
}

inline void set_host_ext(const NrHostExt *ext) noexcept { host().ext.store(ext); }

}  // namespace detail
}  // namespace nylon_ring::sdk

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
    NR_DEFINE_LAYOUT_PROBE()                                                                        \
    static void nr_plugin_define_(::nylon_ring::sdk::Plugin &VAR)

#endif /* NR_PLUGIN_HPP */

//! Drives one nylon-ring plugin through the released `nylon-ring-host` 0.2.2.
//!
//! Usage:
//!   nr-released-host PLUGIN --script STEPS.json
//!   nr-released-host PLUGIN 'JSON-STEP-OR-ARRAY' ...
//!   nr-released-host PLUGIN OP ARGS... [OP ARGS...]
//!
//! Word form (each op takes a fixed number of words):
//!   unary|fast|call|stream|bytes|by_id ENTRY PAYLOAD
//!   bidi ENTRY PAYLOAD MESSAGE   (one message per bidi word group)
//!   bench ENTRY N                (payload "hello")
//!
//! The plugin is always loaded with `load_pinned` (it is never unloaded, which a
//! Go c-shared library requires). The first output line reports the load; then one
//! JSON line per step, in order. Exit code: 0 when the plugin loaded and every step
//! ran (a step's own failure is reported in its line), 2 on a usage or load error.

use std::time::{Duration, Instant};

use nylon_ring_host::{NrStatus, NylonRingHost, NylonRingHostError, PluginHandle, StreamReceiver};
use serde_json::{json, Map, Value};

const PLUGIN_NAME: &str = "plugin";
const DEFAULT_TIMEOUT_MS: u64 = 5000;
const BENCH_PAYLOAD: &[u8] = b"hello";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = match run(&args) {
        Ok(()) => 0,
        Err(message) => {
            emit(json!({"op": "error", "ok": false, "error": message}));
            2
        }
    };
    std::process::exit(code);
}

/// Parses the command line, loads the plugin and runs every step on one runtime.
fn run(args: &[String]) -> Result<(), String> {
    let (plugin_path, rest) = args
        .split_first()
        .ok_or("usage: nr-released-host PLUGIN (--script FILE | STEP...)")?;
    let steps = parse_steps(rest)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the tokio runtime: {e}"))?;
    let mut host = NylonRingHost::new();
    if let Err(error) = host.load_pinned(PLUGIN_NAME, plugin_path) {
        emit(json!({"op": "load", "ok": false, "path": plugin_path,
                    "error": error.to_string(), "error_kind": error_kind(&error)}));
        std::process::exit(2);
    }
    emit(json!({"op": "load", "ok": true, "path": plugin_path}));
    let plugin = host.plugin(PLUGIN_NAME).ok_or("loaded plugin is not registered")?;
    runtime.block_on(async {
        for (index, step) in steps.iter().enumerate() {
            let mut line = run_step(&plugin, step).await;
            line.insert("step".into(), json!(index));
            emit(Value::Object(line));
        }
    });
    // The pinned plugin stays loaded; leave without running its destructors.
    std::mem::forget(host);
    Ok(())
}

/// Steps come from `--script FILE`, inline JSON, or the word form.
fn parse_steps(args: &[String]) -> Result<Vec<Value>, String> {
    if args.first().map(String::as_str) == Some("--script") {
        let path = args.get(1).ok_or("--script: missing file name (expected a JSON file)")?;
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: cannot read ({e})"))?;
        return json_steps(&text).map_err(|e| format!("{path}: {e}"));
    }
    let mut steps = Vec::new();
    let mut words = args.iter().map(String::as_str).peekable();
    while let Some(word) = words.next() {
        if word.starts_with('{') || word.starts_with('[') {
            steps.extend(json_steps(word)?);
            continue;
        }
        let arity = match word {
            "unary" | "fast" | "call" | "stream" | "bytes" | "by_id" | "bench" => 2,
            "bidi" => 3,
            other => return Err(format!("step '{other}': unknown op (expected unary, fast, call, stream, bidi, bytes, by_id, bench)")),
        };
        let operands: Vec<&str> = (0..arity).filter_map(|_| words.next()).collect();
        if operands.len() != arity {
            return Err(format!("step '{word}': expected {arity} words after it, got {}", operands.len()));
        }
        steps.push(word_step(word, &operands)?);
    }
    Ok(steps)
}

fn json_steps(text: &str) -> Result<Vec<Value>, String> {
    match serde_json::from_str::<Value>(text).map_err(|e| format!("invalid JSON ({e})"))? {
        Value::Array(items) => Ok(items),
        object @ Value::Object(_) => Ok(vec![object]),
        _ => Err("expected a JSON object or an array of objects".into()),
    }
}

fn word_step(op: &str, operands: &[&str]) -> Result<Value, String> {
    Ok(match op {
        "bench" => {
            let n: u64 = operands[1]
                .parse()
                .map_err(|_| format!("bench: N '{}' is not a whole number", operands[1]))?;
            json!({"op": "bench", "entry": operands[0], "n": n})
        }
        "bidi" => json!({"op": "bidi", "entry": operands[0], "payload": operands[1], "send": [operands[2]]}),
        _ => json!({"op": op, "entry": operands[0], "payload": operands[1]}),
    })
}

/// Runs one step; the returned object becomes its output line.
async fn run_step(plugin: &PluginHandle, step: &Value) -> Map<String, Value> {
    let op = step.get("op").and_then(Value::as_str).unwrap_or("");
    let mut line = Map::new();
    line.insert("op".into(), json!(op));
    let outcome = match (str_field(step, "entry"), payload_field(step, "payload")) {
        _ if op.is_empty() => Err("step: missing 'op' (expected a string)".to_string()),
        (Err(e), _) | (_, Err(e)) => Err(e),
        (Ok(entry), Ok(payload)) => dispatch(plugin, op, &entry, &payload, step, &mut line).await,
    };
    if let Err(message) = outcome {
        line.insert("ok".into(), json!(false));
        line.entry("error").or_insert(json!(message));
    }
    line
}

async fn dispatch(plugin: &PluginHandle, op: &str, entry: &str, payload: &[u8], step: &Value,
                  line: &mut Map<String, Value>) -> Result<(), String> {
    line.insert("entry".into(), json!(entry));
    let wait = Duration::from_millis(step.get("timeout_ms").and_then(Value::as_u64).unwrap_or(DEFAULT_TIMEOUT_MS));
    match op {
        "unary" => unary(line, wait, plugin.call_response(entry, payload)).await,
        "fast" => unary(line, wait, plugin.call_response_fast(entry, payload)).await,
        "call" => fire(line, plugin.call(entry, payload).await),
        "bytes" => owned(line, wait, plugin, entry, payload).await,
        "stream" => {
            let opened = plugin.call_stream(entry, payload).await;
            stream(line, wait, opened, |_| Vec::new(), false).await
        }
        "bidi" => {
            let messages = payload_list(step, "send")?;
            let close = step.get("close").and_then(Value::as_bool).unwrap_or(true);
            let opened = plugin.call_stream(entry, payload).await;
            stream(line, wait, opened, |sid| send_all(plugin, sid, &messages, close), true).await
        }
        "by_id" => by_id(line, wait, plugin, entry, payload, step).await,
        "bench" => bench(line, plugin, entry, step).await,
        other => Err(format!("unknown op '{other}' (expected unary, fast, call, stream, bidi, bytes, by_id, bench)")),
    }
}

/// A unary answer: status and bytes, or the host's error.
async fn unary<F>(line: &mut Map<String, Value>, wait: Duration, call: F) -> Result<(), String>
where
    F: std::future::Future<Output = nylon_ring_host::Result<(NrStatus, Vec<u8>)>>,
{
    match tokio::time::timeout(wait, call).await {
        Err(_) => Err(timed_out(line, wait)),
        Ok(Err(error)) => Err(host_error(line, &error)),
        Ok(Ok((status, data))) => {
            line.insert("ok".into(), json!(true));
            put_answer(line, status, &data);
            Ok(())
        }
    }
}

fn fire(line: &mut Map<String, Value>, result: nylon_ring_host::Result<NrStatus>) -> Result<(), String> {
    let status = result.map_err(|error| host_error(line, &error))?;
    line.insert("ok".into(), json!(true));
    line.insert("status".into(), json!(status.as_raw()));
    Ok(())
}

/// `call_response_bytes`: also says whether the answer arrived as plugin-owned
/// bytes (zero-copy), which the host only shows through its Debug text.
async fn owned(line: &mut Map<String, Value>, wait: Duration, plugin: &PluginHandle, entry: &str,
               payload: &[u8]) -> Result<(), String> {
    match tokio::time::timeout(wait, plugin.call_response_bytes(entry, payload)).await {
        Err(_) => Err(timed_out(line, wait)),
        Ok(Err(error)) => Err(host_error(line, &error)),
        Ok(Ok((status, bytes))) => {
            line.insert("ok".into(), json!(true));
            line.insert("foreign".into(), json!(format!("{bytes:?}").contains("foreign: true")));
            put_answer(line, status, &bytes);
            drop(bytes);
            Ok(())
        }
    }
}

/// Opens a stream, lets `feed` push data into it, then collects frames until a
/// terminal status, the end of the channel, or the timeout.
async fn stream<G>(line: &mut Map<String, Value>, wait: Duration,
                   opened: nylon_ring_host::Result<(u64, StreamReceiver)>, feed: G, bidi: bool)
                   -> Result<(), String>
where
    G: FnOnce(u64) -> Vec<Value>,
{
    let (sid, mut rx) = opened.map_err(|error| host_error(line, &error))?;
    let sent = feed(sid);
    if bidi {
        line.insert("sent".into(), json!(sent));
    }
    let (frames, end) = collect(&mut rx, wait).await;
    line.insert("ok".into(), json!(true));
    line.insert("frames".into(), json!(frames));
    line.insert("end".into(), json!(end));
    Ok(())
}

/// `send_stream_data` for each message, then `close_stream`; each returned status.
fn send_all(plugin: &PluginHandle, sid: u64, messages: &[Vec<u8>], close: bool) -> Vec<Value> {
    let mut sent: Vec<Value> = messages
        .iter()
        .map(|m| result_status(plugin.send_stream_data(sid, m)))
        .collect();
    if close {
        sent.push(json!({"close": result_status(plugin.close_stream(sid))}));
    }
    sent
}

fn result_status(result: nylon_ring_host::Result<NrStatus>) -> Value {
    match result {
        Ok(status) => json!(status.as_raw()),
        Err(error) => json!({"error": error.to_string(), "error_kind": error_kind(&error)}),
    }
}

/// Frames until a terminal one ("terminal"), the closed channel ("closed") or the timeout ("timeout").
async fn collect(rx: &mut StreamReceiver, wait: Duration) -> (Vec<Value>, &'static str) {
    let deadline = tokio::time::Instant::now() + wait;
    let mut frames = Vec::new();
    loop {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Err(_) => return (frames, "timeout"),
            Ok(None) => return (frames, "closed"),
            Ok(Some(frame)) => {
                let mut item = Map::new();
                put_answer(&mut item, frame.status, &frame.data);
                frames.push(Value::Object(item));
                if frame.status.is_terminal() {
                    return (frames, "terminal");
                }
            }
        }
    }
}

/// `entry(name)` then one call through the resolved entry (`"call"`: unary, fast, call or stream).
async fn by_id(line: &mut Map<String, Value>, wait: Duration, plugin: &PluginHandle, entry: &str,
               payload: &[u8], step: &Value) -> Result<(), String> {
    let resolved = plugin.entry(entry).map_err(|error| host_error(line, &error))?;
    let how = step.get("call").and_then(Value::as_str).unwrap_or("unary");
    line.insert("call".into(), json!(how));
    match how {
        "unary" => unary(line, wait, resolved.call_response(payload)).await,
        "fast" => unary(line, wait, resolved.call_response_fast(payload)).await,
        "call" => fire(line, resolved.call(payload).await),
        "stream" => stream(line, wait, resolved.call_stream(payload).await, |_| Vec::new(), false).await,
        other => Err(format!("by_id: call '{other}' unknown (expected unary, fast, call, stream)")),
    }
}

/// ns per call of `call_response` and `call_response_fast`, `rounds` alternating
/// rounds of `n` calls each after a warm-up; every answer must be Ok.
async fn bench(line: &mut Map<String, Value>, plugin: &PluginHandle, entry: &str, step: &Value)
               -> Result<(), String> {
    let n = step.get("n").and_then(Value::as_u64).ok_or("bench: missing 'n' (expected a whole number)")?;
    let rounds = step.get("rounds").and_then(Value::as_u64).unwrap_or(1).max(1);
    let payload = match step.get("payload") {
        Some(_) => payload_field(step, "payload")?,
        None => BENCH_PAYLOAD.to_vec(),
    };
    line.insert("n".into(), json!(n));
    line.insert("payload_len".into(), json!(payload.len()));
    let warm = (n / 10).max(1);
    time_calls(plugin, entry, &payload, warm, false).await.map_err(|e| host_error(line, &e))?;
    time_calls(plugin, entry, &payload, warm, true).await.map_err(|e| host_error(line, &e))?;
    let (mut slow, mut fast) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        slow.push(time_calls(plugin, entry, &payload, n, false).await.map_err(|e| host_error(line, &e))?);
        fast.push(time_calls(plugin, entry, &payload, n, true).await.map_err(|e| host_error(line, &e))?);
    }
    line.insert("ok".into(), json!(true));
    line.insert("call_response_ns".into(), json!(median(&mut slow)));
    line.insert("call_response_fast_ns".into(), json!(median(&mut fast)));
    line.insert("call_response_rounds_ns".into(), json!(slow));
    line.insert("call_response_fast_rounds_ns".into(), json!(fast));
    Ok(())
}

/// Mean ns per call over `n` calls; a non-Ok answer stops the loop as an error.
async fn time_calls(plugin: &PluginHandle, entry: &str, payload: &[u8], n: u64, fast: bool)
                    -> nylon_ring_host::Result<f64> {
    let start = Instant::now();
    for _ in 0..n {
        let (status, data) = if fast {
            plugin.call_response_fast(entry, payload).await?
        } else {
            plugin.call_response(entry, payload).await?
        };
        if status != NrStatus::Ok {
            return Err(NylonRingHostError::PluginHandleFailed(status));
        }
        std::hint::black_box(data);
    }
    Ok(start.elapsed().as_nanos() as f64 / n.max(1) as f64)
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    let mid = values.len() / 2;
    if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 }
}

/// status (number and name), the bytes as hex, and as text when they are UTF-8.
fn put_answer(line: &mut Map<String, Value>, status: NrStatus, data: &[u8]) {
    line.insert("status".into(), json!(status.as_raw()));
    line.insert("status_name".into(), json!(format!("{status:?}")));
    line.insert("hex".into(), json!(hex(data)));
    if let Ok(text) = std::str::from_utf8(data) {
        line.insert("data".into(), json!(text));
    }
}

fn host_error(line: &mut Map<String, Value>, error: &NylonRingHostError) -> String {
    line.insert("error_kind".into(), json!(error_kind(error)));
    if let NylonRingHostError::PluginHandleFailed(status) = error {
        line.insert("status".into(), json!(status.as_raw()));
    }
    error.to_string()
}

fn timed_out(line: &mut Map<String, Value>, wait: Duration) -> String {
    line.insert("error_kind".into(), json!("Timeout"));
    format!("no answer within {} ms", wait.as_millis())
}

/// The error's variant name, for tests that check which failure the host saw.
fn error_kind(error: &NylonRingHostError) -> String {
    let text = format!("{error:?}");
    text.split(|c: char| !c.is_alphanumeric()).next().unwrap_or("").to_string()
}

fn str_field(step: &Value, key: &str) -> Result<String, String> {
    match step.get(key) {
        Some(Value::String(text)) => Ok(text.clone()),
        None => Err(format!("step: missing '{key}' (expected a string)")),
        Some(_) => Err(format!("step: '{key}' must be a string")),
    }
}

/// A payload is a string (UTF-8 bytes) or `{"hex": "..."}`; absent means empty.
fn payload_field(step: &Value, key: &str) -> Result<Vec<u8>, String> {
    match step.get(key) {
        None => Ok(Vec::new()),
        Some(value) => payload_value(value).map_err(|e| format!("step: '{key}': {e}")),
    }
}

fn payload_value(value: &Value) -> Result<Vec<u8>, String> {
    match value {
        Value::String(text) => Ok(text.as_bytes().to_vec()),
        Value::Object(map) => match map.get("hex").and_then(Value::as_str) {
            Some(text) => unhex(text),
            None => Err("expected a string or {\"hex\": \"...\"}".into()),
        },
        _ => Err("expected a string or {\"hex\": \"...\"}".into()),
    }
}

fn payload_list(step: &Value, key: &str) -> Result<Vec<Vec<u8>>, String> {
    match step.get(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| payload_value(v).map_err(|e| format!("step: '{key}': {e}")))
            .collect(),
        Some(_) => Err(format!("step: '{key}' must be a list of payloads")),
    }
}

fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Result<Vec<u8>, String> {
    if !text.is_ascii() || text.len() % 2 != 0 {
        return Err(format!("hex '{text}' is not an even number of hex digits"));
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).map_err(|_| format!("hex '{text}' is not hexadecimal")))
        .collect()
}

fn emit(value: Value) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

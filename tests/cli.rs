//! The `news-enricher` binary as a user runs it: exit codes, stdout and stderr.
//!
//! No Kafka is needed: the `enrich` tests never touch a broker and every `run` test fails
//! configuration validation before a client is created. Every child runs with a deadline, so a
//! regression that makes `run` try to connect fails the test instead of hanging it.

use std::ffi::OsStr;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// Generous for a debug binary on a busy machine; failing validation takes milliseconds.
const DEADLINE: Duration = Duration::from_secs(30);

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
}

impl Run {
    fn records(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {l}"))
            })
            .collect()
    }
}

/// The binary with every `NEWS_ENRICHER_*` variable of this process removed.
fn command<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_news-enricher"));
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("NEWS_ENRICHER_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("NEWS_ENRICHER_LOG_FORMAT", "text");
    cmd.args(args);
    cmd
}

/// Runs `cmd` to completion with `stdin` as its input, killing it after [`DEADLINE`].
/// `run` with every required setting (an unreachable broker), plus `extra`.
fn run_command(extra: &[&str]) -> Command {
    let required = [
        "run",
        "--brokers",
        "localhost:9",
        "--input-topic",
        "in",
        "--output-topic",
        "out",
        "--dlq-topic",
        "dlq",
        "--group-id",
        "g",
    ];
    command(required.iter().chain(extra))
}

fn run(mut cmd: Command, stdin: &[u8]) -> Run {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn news-enricher");
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = thread::spawn(move || {
        // The child may exit without reading; a broken pipe is not our failure.
        let _ = input.write_all(&stdin);
    });
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let out_reader = thread::spawn(move || {
        let mut s = String::new();
        out.read_to_string(&mut s).expect("stdout is UTF-8");
        s
    });
    let err_reader = thread::spawn(move || {
        let mut b = Vec::new();
        err.read_to_end(&mut b).expect("read stderr");
        String::from_utf8_lossy(&b).into_owned()
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for news-enricher") {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = err_reader.join().unwrap_or_default();
            panic!("news-enricher {cmd:?} still running after {DEADLINE:?}; stderr:\n{stderr}");
        }
        thread::sleep(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    writer.join().unwrap();
    Run {
        code: status.code(),
        stdout: out_reader.join().unwrap(),
        stderr: err_reader.join().unwrap(),
        elapsed,
    }
}

fn write(dir: &Path, name: &str, content: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).unwrap();
    path.to_str().unwrap().to_owned()
}

const GOOD_1: &str = r#"{"id":"a1","body":"First article about the harbour."}"#;
const GOOD_2: &str = r#"{"id":"a2","text":"Second article, about the bridge."}"#;
const GOOD_3: &str = r#"{"id":"a3","body":"Third article, about the tunnel.","extra_field":1}"#;

#[test]
fn enrich_jsonl_reports_bad_lines_and_keeps_going() {
    let dir = tempfile::tempdir().unwrap();
    let content = format!("{GOOD_1}\n{GOOD_2}\n{{\"body\": \"broken\",\n\n{GOOD_3}\n");
    let path = write(dir.path(), "batch.jsonl", &content);
    let r = run(command(["enrich", "--no-progress", &path]), b"");

    assert_eq!(
        r.code,
        Some(1),
        "a failed line makes the run fail; stderr:\n{}",
        r.stderr
    );
    let records = r.records();
    let ids: Vec<&Value> = records.iter().map(|r| &r["id"]).collect();
    assert_eq!(ids, [&json!("a1"), &json!("a2"), &json!("a3")]);
    // Line numbers are the file's, blank lines included.
    let lines: Vec<&Value> = records.iter().map(|r| &r["provenance"]["line"]).collect();
    assert_eq!(lines, [&json!(1), &json!(2), &json!(5)]);
    for rec in &records {
        assert_eq!(rec["provenance"]["file"], json!(path));
        assert_eq!(rec["dedup"]["status"], json!("unique"));
    }
    assert!(
        r.stderr.contains(&format!("{path}:3: invalid_json")),
        "stderr names file, line and reason:\n{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains(&format!("{path}:4:")),
        "the blank line is skipped, not reported:\n{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("3 enriched (0 duplicates), 1 failed, 0 unreadable inputs"),
        "summary on stderr:\n{}",
        r.stderr
    );
    assert!(!r.stdout.contains("enriched ("), "summary is not on stdout");
}

#[test]
fn enrich_reads_stdin_with_dash_and_with_no_arguments() {
    let input = format!("{GOOD_1}\n{GOOD_2}\n");
    for args in [vec!["enrich", "-"], vec!["enrich"]] {
        let r = run(command(&args), input.as_bytes());
        assert_eq!(r.code, Some(0), "{args:?}; stderr:\n{}", r.stderr);
        let records = r.records();
        assert_eq!(records.len(), 2, "{args:?}; stdout:\n{}", r.stdout);
        assert_eq!(records[0]["id"], json!("a1"));
        assert_eq!(records[1]["id"], json!("a2"));
        for rec in &records {
            assert_eq!(rec["provenance"]["file"], json!("<stdin>"));
        }
    }

    // Plain text on stdin, with the date header.
    let r = run(
        command(["enrich"]),
        b"date 2024-04-12 Plain words on stdin.\n",
    );
    assert_eq!(r.code, Some(0), "stderr:\n{}", r.stderr);
    let records = r.records();
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["article"]["format"], json!("plain_text"));
    assert_eq!(
        records[0]["article"]["body"],
        json!("Plain words on stdin.")
    );
    assert_eq!(
        records[0]["article"]["published_at"],
        json!("2024-04-12T00:00:00Z")
    );
}

#[test]
fn enrich_marks_a_later_file_with_the_same_text_as_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let first = write(
        dir.path(),
        "first.txt",
        "date 2024-04-12\nThe Minister said the talks were productive.\n",
    );
    // Same text, different case and whitespace, as JSON with its own id.
    let second = write(
        dir.path(),
        "second.jsonl",
        "{\"id\":\"copy-1\",\"body\":\"  the minister SAID\\n the   talks were\\tproductive. \"}\n",
    );
    let r = run(command(["enrich", &first, &second]), b"");
    assert_eq!(r.code, Some(0), "stderr:\n{}", r.stderr);
    let records = r.records();
    assert_eq!(records.len(), 2, "stdout:\n{}", r.stdout);
    assert_eq!(records[0]["dedup"]["status"], json!("unique"));
    assert_eq!(records[1]["id"], json!("copy-1"));
    assert_eq!(records[1]["dedup"]["status"], json!("exact_duplicate"));
    assert_eq!(records[1]["dedup"]["duplicate_of"], records[0]["id"]);
    assert_eq!(records[1]["dedup"]["matched_on"], json!("text"));
    assert!(
        r.stderr.contains("2 enriched (1 duplicates)"),
        "stderr:\n{}",
        r.stderr
    );
}

#[test]
fn enrich_reports_a_missing_file_and_processes_the_others() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-file.jsonl");
    let missing = missing.to_str().unwrap();
    let good = write(dir.path(), "good.jsonl", &format!("{GOOD_1}\n"));
    let r = run(command(["enrich", missing, &good]), b"");
    assert_ne!(r.code, Some(0), "stderr:\n{}", r.stderr);
    assert!(r.code.is_some(), "exited normally, not by a signal");
    assert!(
        r.stderr.contains(&format!("{missing}: cannot read")),
        "stderr names the file:\n{}",
        r.stderr
    );
    let records = r.records();
    assert_eq!(records.len(), 1, "the good file is still processed");
    assert_eq!(records[0]["id"], json!("a1"));
    assert!(
        r.stderr.contains("1 enriched") && r.stderr.contains("1 unreadable inputs"),
        "stderr:\n{}",
        r.stderr
    );
}

/// `enrich` reads the worker's settings type: the same TOML file (its Kafka keys ignored), the
/// same environment variables and flags, in the same order of precedence, validated alike.
#[test]
fn enrich_takes_the_workers_settings_from_file_environment_and_flags() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "enricher.toml",
        "brokers = \"kafka:9092\"\nstages = [\"dedup\"]\ndedup_policy = \"drop\"\n",
    );
    let input = format!("{GOOD_1}\n{}\n", GOOD_1.replace("a1", "a1-copy"));
    let stages = |r: &Run| -> Vec<Value> {
        r.records()
            .iter()
            .map(|rec| rec["provenance"]["stages"].clone())
            .collect()
    };

    // The file: only dedup runs, and the copy is dropped.
    let r = run(command(["enrich", "--config", &config]), input.as_bytes());
    assert_eq!(r.code, Some(0), "stderr:\n{}", r.stderr);
    assert_eq!(stages(&r), [json!(["dedup"])]);
    assert!(
        r.stderr.contains("1 enriched (1 duplicates)"),
        "{}",
        r.stderr
    );

    // The environment beats the file; a flag beats the environment.
    let mut cmd = command(["enrich", "--config", &config]);
    cmd.env("NEWS_ENRICHER_DEDUP_POLICY", "flag");
    let r = run(cmd, input.as_bytes());
    assert_eq!(stages(&r), [json!(["dedup"]), json!(["dedup"])]);
    let mut cmd = command(["enrich", "--config", &config, "--stages", "entities"]);
    cmd.env("NEWS_ENRICHER_STAGES", "dedup,entities");
    let r = run(cmd, input.as_bytes());
    assert_eq!(stages(&r), [json!(["entities"]), json!(["entities"])]);

    // Validated as `run` validates, naming the setting.
    let r = run(
        command(["enrich", "--near-duplicate-threshold", "1.5"]),
        input.as_bytes(),
    );
    assert_ne!(r.code, Some(0));
    assert!(
        r.stderr.contains("near_duplicate_threshold") && r.stderr.contains("(0, 1]"),
        "stderr:\n{}",
        r.stderr
    );
    let r = run(command(["enrich", "--stages", "stance"]), input.as_bytes());
    assert_ne!(r.code, Some(0));
    assert!(
        r.stderr.contains("`stance` needs `claims` before it"),
        "stderr:\n{}",
        r.stderr
    );
}

#[test]
fn run_without_brokers_fails_fast_naming_the_setting() {
    let r = run(command(["run"]), b"");
    assert_ne!(r.code, Some(0), "stderr:\n{}", r.stderr);
    assert!(r.code.is_some(), "exited normally, not by a signal");
    assert!(r.stderr.contains("brokers"), "stderr:\n{}", r.stderr);
    assert!(
        r.stderr.contains("NEWS_ENRICHER_BROKERS"),
        "the message says how to set it:\n{}",
        r.stderr
    );
    assert!(r.elapsed < Duration::from_secs(10), "took {:?}", r.elapsed);
}

#[test]
fn run_rejects_an_unknown_key_in_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "enricher.toml",
        "brokers = \"localhost:9\"\ninput_topic = \"in\"\nno_such_setting = true\n",
    );
    let r = run(command(["run", "--config", &config]), b"");
    assert_ne!(r.code, Some(0), "stderr:\n{}", r.stderr);
    assert!(r.stderr.contains(&config), "names the file:\n{}", r.stderr);
    assert!(
        r.stderr.contains("no_such_setting"),
        "names the key:\n{}",
        r.stderr
    );
}

#[test]
fn run_rejects_a_dedup_window_larger_than_it_can_address() {
    let r = run(run_command(&["--dedup-max-entries", "16777216"]), b"");
    assert_ne!(r.code, Some(0), "stderr:\n{}", r.stderr);
    assert!(
        r.stderr.contains("dedup_max_entries") && r.stderr.contains("16777215"),
        "names the setting and the limit:\n{}",
        r.stderr
    );
}

#[test]
fn run_honours_the_environment_over_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "enricher.toml",
        concat!(
            "brokers = \"localhost:9\"\n",
            "input_topic = \"articles.raw\"\n",
            "output_topic = \"articles.enriched\"\n",
            "dlq_topic = \"articles.dlq\"\n",
            "group_id = \"enricher\"\n",
        ),
    );
    // The environment makes the input topic the output topic: only it can cause this error.
    let mut cmd = command(["run"]);
    cmd.env("NEWS_ENRICHER_CONFIG", &config)
        .env("NEWS_ENRICHER_INPUT_TOPIC", "articles.enriched");
    let r = run(cmd, b"");
    assert_ne!(r.code, Some(0), "stderr:\n{}", r.stderr);
    assert!(
        r.stderr.contains("topics must differ"),
        "stderr:\n{}",
        r.stderr
    );
}

#[test]
fn run_rejects_overriding_the_commit_properties() {
    for property in [
        "enable.auto.commit=true",
        "consumer.enable.auto.commit=true",
        "producer.acks=1",
        // Exactly-once depends on these two.
        "producer.transactional.id=mine",
        "consumer.isolation.level=read_uncommitted",
    ] {
        let key = property.split('=').next().unwrap();
        let key = key
            .strip_prefix("consumer.")
            .or_else(|| key.strip_prefix("producer."))
            .unwrap_or(key);
        let r = run(run_command(&["--kafka-property", property]), b"");
        assert_ne!(r.code, Some(0), "{property}; stderr:\n{}", r.stderr);
        assert!(
            r.stderr.contains(key) && r.stderr.contains("kafka_property"),
            "{property}: stderr names the property:\n{}",
            r.stderr
        );
    }
}

#[test]
fn run_rejects_unusable_transaction_settings() {
    for (args, setting) in [
        (
            &[
                "--guarantee",
                "exactly-once",
                "--transaction-max-messages",
                "0",
            ][..],
            "transaction_max_messages",
        ),
        (
            &["--guarantee", "exactly-once", "--transaction-max-ms", "0"][..],
            "transaction_max_ms",
        ),
        (
            &["--guarantee", "exactly-once", "--transactional-id", " "][..],
            "transactional_id",
        ),
        (&["--guarantee", "twice"][..], "guarantee"),
    ] {
        let r = run(run_command(args), b"");
        assert_ne!(r.code, Some(0), "{args:?}; stderr:\n{}", r.stderr);
        assert!(
            r.stderr.contains(setting) || r.stderr.contains(&setting.replace('_', "-")),
            "{args:?}: stderr names {setting}:\n{}",
            r.stderr
        );
    }
}

#[test]
fn run_help_lists_kafka_property() {
    let r = run(command(["run", "--help"]), b"");
    assert_eq!(r.code, Some(0), "stderr:\n{}", r.stderr);
    assert!(r.stdout.contains("--kafka-property"), "help:\n{}", r.stdout);
    assert!(r.stdout.contains("--brokers"), "help:\n{}", r.stdout);
}

#[test]
fn replay_refuses_a_range_that_ends_before_it_starts() {
    let r = run(
        command([
            "replay",
            "--from",
            "2024-04-02T00:00:00Z",
            "--to",
            "2024-04-01T00:00:00Z",
            "--brokers",
            "localhost:9",
        ]),
        b"",
    );
    assert_ne!(r.code, Some(0), "stderr:\n{}", r.stderr);
    assert!(
        r.stderr.contains("--from must be before --to"),
        "stderr:\n{}",
        r.stderr
    );
    let r = run(command(["replay", "--from", "yesterday"]), b"");
    assert_ne!(r.code, Some(0));
    assert!(r.stderr.contains("--from"), "stderr:\n{}", r.stderr);
}

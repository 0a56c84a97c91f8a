//! Chaos against a real broker (tansu): 3,000 articles stream in while the worker is killed
//! with SIGKILL 20 times at random moments, the broker is frozen (SIGSTOP) for 15 s, and a
//! second replica joins and leaves. Both guarantees are run through the same schedule:
//! - at least once: nothing lost, every malformed message dead-lettered with its original
//!   bytes;
//! - exactly once: the same, and a `read_committed` reader sees every article and every dead
//!   letter exactly once — kills land mid-transaction, and the next incarnation (same
//!   `transactional.id`) aborts what its predecessor left open. tansu keeps aborted batches
//!   and serves them to `read_committed` readers too (it never sends the aborted-transaction
//!   list), so the test reads the transaction markers from the log and applies them itself
//!   (`support::txn_markers`).
//!
//! The schedule comes from a seed (`CHAOS_SEED`), printed so a failure can be replayed.
//!
//! Articles arrive steadily while the schedule runs, and every kill lands mid-stream: the test
//! waits until the running incarnation is publishing, then kills it a random moment later.
//! tansu's group coordinator has a defect this schedule works around: a member leaving the
//! group (SIGTERM, LeaveGroup) while a killed member is still registered, or soon after, left
//! the group with no assignment at all for minutes, with cooperative and with eager
//! assignment alike (seen three times out of three). So no kill happens while the replica is
//! in the group, it leaves at least 8 s after the last kill, and the next kill waits 12 s.

mod scenario;
mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use scenario::{
    assert_none_lost, batch, broker_with, check_dead_letters, log_tail, output_ids, spawn_worker,
    total, wait_exit, wait_for_commits, Batch, Topics,
};
use support::txn_markers;

/// The delivery guarantee a chaos run checks.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    AtLeastOnce,
    ExactlyOnce,
}

/// A small deterministic generator for the schedule (xorshift64*).
struct Schedule(u64);

impl Schedule {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n.max(1)
    }
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "kill {sig} {pid}");
}

#[test]
fn at_least_once_survives_kills_a_broker_freeze_and_a_replica_coming_and_going() {
    chaos(Mode::AtLeastOnce);
}

#[test]
fn exactly_once_survives_kills_a_broker_freeze_and_a_replica_coming_and_going() {
    chaos(Mode::ExactlyOnce);
}

fn chaos(mode: Mode) {
    let seed: u64 = std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261202);
    eprintln!("chaos schedule seed {seed} (CHAOS_SEED replays it), {mode:?}");
    let t = Topics::new(match mode {
        Mode::AtLeastOnce => "chaos",
        Mode::ExactlyOnce => "chaos-eos",
    });
    // The worker keeps its transactional id across restarts, as a StatefulSet pod does; the
    // replica has its own.
    let (worker_id, replica_id) = (format!("{}-0", t.group), format!("{}-1", t.group));
    let extra: Vec<String> = std::env::var("CHAOS_EXTRA")
        .map(|v| v.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    let args = |id: &str| -> Vec<String> {
        let mut a = match mode {
            Mode::AtLeastOnce => vec![],
            Mode::ExactlyOnce => ["--guarantee", "exactly-once", "--transactional-id", id]
                .map(str::to_owned)
                .to_vec(),
        };
        a.extend(extra.iter().cloned());
        a
    };
    let (mut worker_args, replica_args) = (args(&worker_id), args(&replica_id));
    // The worker's incarnations share one probe address, so the test can tell when the last
    // one is up before it asks it to stop.
    let probe: std::net::SocketAddr = format!("127.0.0.1:{}", support::free_port())
        .parse()
        .unwrap();
    worker_args.extend(["--http-addr".to_owned(), probe.to_string()]);
    let worker_args: Vec<&str> = worker_args.iter().map(String::as_str).collect();
    let replica_args: Vec<&str> = replica_args.iter().map(String::as_str).collect();
    let Some(broker) = broker_with(&t, 4) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log = std::env::var_os("CHAOS_LOG")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("worker.log"));
    let all = batch(0, 3000, 50, 0);
    let mut plan = Schedule(seed | 1);
    // 20 kills; before one of them the broker freezes, before another a replica comes and goes.
    let freeze_before = plan.below(20) as usize;
    let replica_before = plan.below(20) as usize;
    let gaps: Vec<u64> = (0..20).map(|_| plan.below(1500)).collect();
    eprintln!(
        "freeze before kill {freeze_before}, replica before kill {replica_before}, \
         ms after publishing resumed: {gaps:?}"
    );

    let started = Instant::now();
    // Articles arrive steadily, 50 every 4 s, for about as long as the schedule takes, so
    // every kill finds the worker mid-stream (mid-transaction, exactly once).
    let producer = {
        let (records, bootstrap, input) = (
            all.records.clone(),
            broker.bootstrap.clone(),
            t.input.clone(),
        );
        std::thread::spawn(move || {
            for chunk in records.chunks(50) {
                support::produce(&bootstrap, &input, chunk);
                std::thread::sleep(Duration::from_secs(4));
            }
        })
    };
    let mut worker = spawn_worker(&broker.bootstrap, &t, &log, &worker_args);
    let mut last_kill = Instant::now() - Duration::from_secs(60);
    for (k, gap) in gaps.iter().enumerate() {
        if k == freeze_before {
            signal(broker.pid(), "-STOP");
            std::thread::sleep(Duration::from_secs(15));
            signal(broker.pid(), "-CONT");
        }
        if k == replica_before {
            let mut replica = spawn_worker(&broker.bootstrap, &t, &log, &replica_args);
            std::thread::sleep(Duration::from_secs(15));
            std::thread::sleep(Duration::from_secs(8).saturating_sub(last_kill.elapsed()));
            signal(replica.id(), "-TERM");
            assert!(
                wait_exit(&mut replica, Duration::from_secs(60)).is_some(),
                "the replica did not stop; log:\n{}",
                log_tail(&log)
            );
            // The group rebalances back to one member before the next kill.
            std::thread::sleep(Duration::from_secs(12));
        }
        // Kill once this incarnation is publishing, a random moment later.
        let before = total(&support::end_offsets(&broker.bootstrap, &t.output));
        support::wait_until(Duration::from_secs(30), Duration::from_millis(50), || {
            total(&support::end_offsets(&broker.bootstrap, &t.output)) > before
        });
        std::thread::sleep(Duration::from_millis(*gap));
        signal(worker.id(), "-KILL");
        let _ = worker.wait();
        last_kill = Instant::now();
        worker = spawn_worker(&broker.bootstrap, &t, &log, &worker_args);
    }
    let killed = gaps.len();
    producer.join().unwrap();
    let ends = support::end_offsets(&broker.bootstrap, &t.input);
    assert_eq!(total(&ends), all.records.len() as i64);
    let reached = wait_for_commits(&broker.bootstrap, &t, &ends, Duration::from_secs(300));
    // A process signalled before it has installed its handlers dies of the signal; that is
    // not the clean stop under test.
    support::wait_until(Duration::from_secs(30), Duration::from_millis(50), || {
        support::get(probe, "/healthz").is_some()
    });
    signal(worker.id(), "-TERM");
    let stopped = wait_exit(&mut worker, Duration::from_secs(60));
    assert!(
        reached,
        "commits did not reach the end after the chaos (seed {seed}); log:\n{}",
        log_tail(&log)
    );
    assert!(
        stopped.is_some_and(|s| s.success()),
        "clean stop after the chaos (seed {seed}), exit {stopped:?}; log:\n{}",
        log_tail(&log)
    );

    let counts = assert_none_lost(&broker.bootstrap, &t, &all, "20 kills, a freeze, a replica");
    let duplicates: usize = counts.values().map(|&n| n - 1).sum();
    let dead = support::consume_all(
        &broker.bootstrap,
        &t.dlq,
        all.malformed_keys.len(),
        Duration::from_secs(60),
    );
    check_dead_letters(&dead, &all, &t.input);
    eprintln!(
        "chaos ({mode:?}): {} articles, {killed} kills, a 15 s freeze, a replica: 0 lost, \
         {duplicates} published more than once (read_committed), {} dead letters for {} \
         malformed, in {:.0} s",
        all.records.len(),
        dead.len(),
        all.malformed_keys.len(),
        started.elapsed().as_secs_f64()
    );
    if mode == Mode::ExactlyOnce {
        exactly_once_view(&broker.bootstrap, &t, &all, seed, &log);
    }
}

/// What a `read_committed` reader must see after the chaos: every article once, every
/// malformed message dead-lettered once. tansu 0.6 keeps the batches of aborted transactions
/// (kills mid-transaction abort one each) and hands them to `read_committed` readers too,
/// since it never sends the aborted-transaction list; so the transaction markers are read
/// from the log and applied here, as a Kafka broker's list would let the client do.
fn exactly_once_view(bootstrap: &str, t: &Topics, all: &Batch, seed: u64, log: &std::path::Path) {
    let view = |topic: &str, expected: usize| {
        let partitions: Vec<i32> = support::end_offsets(bootstrap, topic).into_keys().collect();
        let uncommitted = txn_markers::uncommitted(bootstrap, topic, &partitions);
        let read = support::consume_all(bootstrap, topic, expected, Duration::from_secs(60));
        let served = read.len();
        let committed: Vec<_> = read
            .into_iter()
            .filter(|r| !uncommitted.contains(r.partition, r.offset))
            .collect();
        eprintln!(
            "chaos (exactly once): {topic}: {} records in uncommitted transactions; tansu \
             served {served} records to read_committed, {} of them committed",
            uncommitted.records(),
            committed.len()
        );
        committed
    };
    let out = view(&t.output, all.valid_ids.len());
    let counts = output_ids(&out);
    let missing: Vec<_> = all
        .valid_ids
        .iter()
        .filter(|id| !counts.contains_key(*id))
        .collect();
    assert!(
        missing.is_empty(),
        "articles lost from the committed output (seed {seed}): {missing:?}"
    );
    let duplicates: usize = counts.values().map(|&n| n - 1).sum();
    if duplicates > 0 {
        describe_duplicates(bootstrap, &t.output, all.valid_ids.len() + duplicates);
    }
    assert_eq!(
        duplicates,
        0,
        "a read_committed reader must see each article once (seed {seed}); log: {}",
        log.display()
    );
    let dead = view(&t.dlq, all.malformed_keys.len());
    check_dead_letters(&dead, all, &t.input);
    assert_eq!(
        dead.len(),
        all.malformed_keys.len(),
        "each malformed message dead-lettered once (seed {seed})"
    );
}

/// Prints where the copies of duplicated articles are, to tell a transaction committed twice
/// from two incarnations' overlapping batches.
fn describe_duplicates(bootstrap: &str, topic: &str, n: usize) {
    let out = support::consume_all(bootstrap, topic, n, Duration::from_secs(30));
    let mut copies: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for r in &out {
        let v: serde_json::Value = serde_json::from_slice(&r.payload).unwrap_or_default();
        let p = &v["provenance"];
        copies
            .entry(v["id"].as_str().unwrap_or("?").to_owned())
            .or_default()
            .push(format!(
                "out {}@{} from {}@{} at {}",
                r.partition, r.offset, p["partition"], p["offset"], p["processed_at"]
            ));
    }
    for (id, c) in copies.iter().filter(|(_, c)| c.len() > 1).take(60) {
        eprintln!("duplicate {id}: {}", c.join("; "));
    }
}

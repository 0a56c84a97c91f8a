//! Chaos against a real broker (tansu): 3,000 articles stream in while the worker is killed
//! with SIGKILL 20 times at random moments, the broker is frozen (SIGSTOP) for 15 s, and a
//! second replica joins and leaves. At-least-once must hold: nothing lost, every malformed
//! message dead-lettered with its original bytes. The schedule comes from a seed
//! (`CHAOS_SEED`), printed so a failure can be replayed.
//!
//! Kills follow each other within a second or two here, so most hit an incarnation still
//! starting or joining the group, and few articles are published twice. A schedule that waits
//! for each incarnation to publish before killing it (every kill mid-stream) left the group
//! with no assignment at all on tansu after about ten kills, for five minutes: not yet
//! understood (the broker's coordinator or the worker), and why that schedule is not here yet.

mod scenario;
mod support;

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use scenario::{
    assert_none_lost, batch, broker_with, check_dead_letters, log_tail, spawn_worker, total,
    wait_exit, wait_for_commits, Topics,
};

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
    let seed: u64 = std::env::var("CHAOS_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261202);
    eprintln!("chaos schedule seed {seed} (CHAOS_SEED replays it)");
    let t = Topics::new("chaos");
    let Some(broker) = broker_with(&t, 4) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("worker.log");
    let all = batch(0, 3000, 50, 0);
    let chunks: Vec<_> = all.records.chunks(50).map(<[_]>::to_vec).collect();
    let mut plan = Schedule(seed | 1);
    // 20 kills spread over the chunks, a freeze, and a replica's stay.
    let mut kills: Vec<usize> = (0..20)
        .map(|_| plan.below(chunks.len() as u64) as usize)
        .collect();
    kills.sort_unstable();
    let freeze_at = plan.below(chunks.len() as u64) as usize;
    let join_at = plan.below(chunks.len() as u64 / 2) as usize;
    let leave_at = join_at + 5 + plan.below(chunks.len() as u64 / 2) as usize;
    eprintln!("kills at chunks {kills:?}, freeze at {freeze_at}, replica {join_at}..{leave_at}");

    let started = Instant::now();
    let mut worker = spawn_worker(&broker.bootstrap, &t, &log, &[]);
    let mut replica: Option<Child> = None;
    let mut killed = 0;
    for (i, chunk) in chunks.iter().enumerate() {
        support::produce(&broker.bootstrap, &t.input, chunk);
        for _ in kills.iter().filter(|&&k| k == i) {
            // Most of these land while the previous incarnation is still starting or joining
            // the group; see the module doc.
            std::thread::sleep(Duration::from_millis(plan.below(400)));
            signal(worker.id(), "-KILL");
            let _ = worker.wait();
            killed += 1;
            worker = spawn_worker(&broker.bootstrap, &t, &log, &[]);
        }
        if i == freeze_at {
            signal(broker.pid(), "-STOP");
            std::thread::sleep(Duration::from_secs(15));
            signal(broker.pid(), "-CONT");
        }
        if i == join_at {
            replica = Some(spawn_worker(&broker.bootstrap, &t, &log, &[]));
        }
        if i == leave_at {
            if let Some(mut r) = replica.take() {
                signal(r.id(), "-TERM");
                assert!(
                    wait_exit(&mut r, Duration::from_secs(60)).is_some(),
                    "the replica did not stop; log:\n{}",
                    log_tail(&log)
                );
            }
        }
        std::thread::sleep(Duration::from_millis(plan.below(200)));
    }
    if let Some(mut r) = replica.take() {
        signal(r.id(), "-TERM");
        let _ = wait_exit(&mut r, Duration::from_secs(60));
    }
    let ends = support::end_offsets(&broker.bootstrap, &t.input);
    assert_eq!(total(&ends), all.records.len() as i64);
    let reached = wait_for_commits(&broker.bootstrap, &t, &ends, Duration::from_secs(300));
    signal(worker.id(), "-TERM");
    let stopped = wait_exit(&mut worker, Duration::from_secs(60));
    assert!(
        reached,
        "commits did not reach the end after the chaos (seed {seed}); log:\n{}",
        log_tail(&log)
    );
    assert!(
        stopped.is_some_and(|s| s.success()),
        "clean stop after the chaos"
    );

    // Read everything the output holds: redeliveries publish again under at-least-once.
    let published = total(&support::end_offsets(&broker.bootstrap, &t.output));
    assert_none_lost(&broker.bootstrap, &t, &all, "20 kills, a freeze, a replica");
    let duplicates = published - all.valid_ids.len() as i64;
    let dead = support::consume_all(
        &broker.bootstrap,
        &t.dlq,
        all.malformed_keys.len(),
        Duration::from_secs(60),
    );
    check_dead_letters(&dead, &all, &t.input);
    eprintln!(
        "chaos: {} articles, {killed} kills, a 15 s freeze, a replica: 0 lost, {duplicates} \
         published more than once, {} dead letters for {} malformed, in {:.0} s",
        all.records.len(),
        dead.len(),
        all.malformed_keys.len(),
        started.elapsed().as_secs_f64()
    );
}

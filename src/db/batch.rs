//! Group commit: the writes that queue up while one commit is being synced to disk run
//! together in the next transaction, and share its one sync.
//!
//! With `synchronous = FULL` a commit waits for the WAL to reach the disk (about 0.5 ms here),
//! and SQLite has one writer: one write per commit caps every durable writer at one sync's
//! rate. Instead each [`Db::write`](super::Db::write) queues its closure and starts a task
//! that takes the writer; whichever task gets it first runs every queued closure in one
//! `BEGIN IMMEDIATE` transaction, each inside a savepoint of its own, commits once, and then
//! answers each caller. The tasks whose closures it ran find the queue empty and return.
//!
//! What a caller sees does not change: its closure's changes commit entirely or not at all;
//! a closure that fails rolls back only its savepoint, never its batch-mates; `Ok` comes back
//! only after the commit that holds the change returned, synced when durable. A commit that
//! fails fails every closure of the batch. A batch of nothing but new tokens commits without
//! the sync (`Db::write_new_tokens` says why); one with any other write syncs them all.

use rusqlite::{Connection, Transaction, TransactionBehavior};
use tokio::sync::oneshot;

use crate::error::{Error, Result};

/// A queued write, type-erased so that writes of any result type share one queue.
pub(super) trait Job: Send {
    /// Runs the write inside the batch's transaction; false when it failed (and was rolled
    /// back to its savepoint by the caller of `run`).
    fn run(&mut self, tx: &Transaction<'_>) -> bool;
    /// Answers the caller: its value when the batch committed, else why not.
    fn finish(self: Box<Self>, committed: std::result::Result<(), &str>);
    /// Whether the write only adds new tokens ([`Db::write_new_tokens`](super::Db::write_new_tokens)).
    fn only_adds_tokens(&self) -> bool;
}

/// A write closure and how its outcome reaches its caller.
pub(super) struct Queued<T, F> {
    write: Option<F>,
    only_adds_tokens: bool,
    outcome: Option<Result<T>>,
    /// Taken by `finish`; a write dropped unfinished (its committer gone) answers "abandoned".
    reply: Option<Reply<T>>,
}

/// Where a write's outcome goes.
enum Reply<T> {
    /// To a caller awaiting it.
    Channel(oneshot::Sender<Result<T>>),
    /// To a function run on the committer (a caller that did not wait).
    Then(Box<dyn FnOnce(Result<T>) + Send>),
}

impl<T, F> Queued<T, F> {
    pub(super) fn new(write: F, only_adds_tokens: bool) -> (Self, oneshot::Receiver<Result<T>>) {
        let (reply, answer) = oneshot::channel();
        (
            Self::replying(write, only_adds_tokens, Reply::Channel(reply)),
            answer,
        )
    }

    /// A write whose outcome is passed to `then`, on the committer.
    pub(super) fn then(
        write: F,
        only_adds_tokens: bool,
        then: impl FnOnce(Result<T>) + Send + 'static,
    ) -> Self {
        Self::replying(write, only_adds_tokens, Reply::Then(Box::new(then)))
    }

    fn replying(write: F, only_adds_tokens: bool, reply: Reply<T>) -> Self {
        Self {
            write: Some(write),
            only_adds_tokens,
            outcome: None,
            reply: Some(reply),
        }
    }
}

impl<T, F> Drop for Queued<T, F> {
    fn drop(&mut self) {
        // A waiting caller sees its channel close; a function is told.
        if let Some(Reply::Then(then)) = self.reply.take() {
            then(Err(Error::Batch("its batch was abandoned".to_owned())));
        }
    }
}

impl<T, F> Job for Queued<T, F>
where
    T: Send + 'static,
    F: FnOnce(&Transaction<'_>) -> Result<T> + Send + 'static,
{
    fn run(&mut self, tx: &Transaction<'_>) -> bool {
        let Some(write) = self.write.take() else {
            return false;
        };
        let outcome = write(tx);
        let ok = outcome.is_ok();
        self.outcome = Some(outcome);
        ok
    }

    fn finish(mut self: Box<Self>, committed: std::result::Result<(), &str>) {
        let answer = match (self.outcome.take(), committed) {
            // Its own failure is its answer, whatever became of the batch.
            (Some(Err(error)), _) => Err(error),
            (Some(Ok(value)), Ok(())) => Ok(value),
            (Some(Ok(_)) | None, Err(why)) => Err(Error::Batch(why.to_owned())),
            (None, Ok(())) => Err(Error::Batch("the write was never run".to_owned())),
        };
        match self.reply.take() {
            // The caller may have gone (its request was cancelled): its change stands regardless.
            Some(Reply::Channel(reply)) => drop(reply.send(answer)),
            Some(Reply::Then(then)) => then(answer),
            None => {}
        }
    }

    fn only_adds_tokens(&self) -> bool {
        self.only_adds_tokens
    }
}

/// Runs `jobs` in one transaction on `conn` and answers each; `committed` runs after a
/// successful commit and before any caller hears of it.
pub(super) fn run(conn: &mut Connection, jobs: Vec<Box<dyn Job>>, committed: impl FnOnce()) {
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(error) => {
            let why = format!("the write transaction could not begin: {error}");
            for job in jobs {
                job.finish(Err(&why));
            }
            return;
        }
    };
    let mut ran = Vec::with_capacity(jobs.len());
    let mut broken = None;
    for mut job in jobs {
        if broken.is_some() {
            job.finish(Err("an earlier write of its batch broke the transaction"));
            continue;
        }
        if let Err(error) = tx.prepare_cached("SAVEPOINT job").and_then(|mut s| s.execute([])) {
            broken = Some(format!("a savepoint could not be set: {error}"));
            job.finish(Err(broken.as_deref().unwrap_or_default()));
            continue;
        }
        let ok = job.run(&tx);
        // The two statements every job runs are prepared once per connection.
        let closed = if ok {
            tx.prepare_cached("RELEASE job")
                .and_then(|mut s| s.execute([]))
                .map(drop)
        } else {
            tx.execute_batch("ROLLBACK TO job; RELEASE job")
        };
        // Some errors (a full disk, an I/O error) make SQLite roll back the whole transaction
        // by itself: the savepoint is gone then, and so are the changes of the jobs before.
        if let Err(error) = closed {
            broken = Some(format!("the transaction was rolled back: {error}"));
        }
        ran.push(job);
    }
    let outcome = match broken {
        Some(why) => Err(why),
        None => tx.commit().map_err(|error| format!("the commit failed: {error}")),
    };
    if outcome.is_ok() {
        committed();
    }
    for job in ran {
        job.finish(outcome.as_ref().map(|_| ()).map_err(String::as_str));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Connection {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch("CREATE TABLE t (v INTEGER NOT NULL)").unwrap();
        conn
    }

    fn insert(v: i64) -> impl FnOnce(&Transaction<'_>) -> Result<i64> + Send + 'static {
        move |tx| {
            tx.execute("INSERT INTO t (v) VALUES (?1)", [v])?;
            Ok(v)
        }
    }

    fn values(conn: &Connection) -> Vec<i64> {
        let mut stmt = conn.prepare("SELECT v FROM t ORDER BY v").unwrap();
        stmt.query_map([], |row| row.get(0))
            .unwrap()
            .map(|v| v.unwrap())
            .collect()
    }

    #[test]
    fn a_failing_write_rolls_back_only_itself() {
        let mut conn = table();
        let (one, one_answer) = Queued::new(insert(1), false);
        let (bad, mut bad_answer) = Queued::new(
            |tx: &Transaction<'_>| -> Result<i64> {
                tx.execute("INSERT INTO t (v) VALUES (2)", [])?;
                tx.execute("INSERT INTO nowhere VALUES (1)", [])?;
                Ok(2)
            },
            false,
        );
        let (three, three_answer) = Queued::new(insert(3), false);
        let jobs: Vec<Box<dyn Job>> = vec![Box::new(one), Box::new(bad), Box::new(three)];
        let mut commits = 0;
        run(&mut conn, jobs, || commits += 1);
        assert_eq!(commits, 1, "one commit for the three");
        assert_eq!(values(&conn), [1, 3], "the failed write's first insert is gone");
        assert_eq!(one_answer.blocking_recv().unwrap().unwrap(), 1);
        assert!(matches!(bad_answer.try_recv().unwrap(), Err(Error::Db(_))));
        assert_eq!(three_answer.blocking_recv().unwrap().unwrap(), 3);
    }

    #[test]
    fn a_broken_transaction_fails_every_write_of_the_batch() {
        let mut conn = table();
        let (one, one_answer) = Queued::new(insert(1), false);
        // What SQLite does by itself on a full disk: the whole transaction rolled back.
        let (breaks, _) = Queued::new(
            |tx: &Transaction<'_>| -> Result<i64> {
                tx.execute_batch("ROLLBACK")?;
                Err(Error::Batch("disk full".into()))
            },
            false,
        );
        let (after, after_answer) = Queued::new(insert(3), false);
        let jobs: Vec<Box<dyn Job>> = vec![Box::new(one), Box::new(breaks), Box::new(after)];
        let mut commits = 0;
        run(&mut conn, jobs, || commits += 1);
        assert_eq!(commits, 0);
        assert!(values(&conn).is_empty());
        for answer in [one_answer, after_answer] {
            match answer.blocking_recv().unwrap() {
                Err(Error::Batch(why)) => assert!(why.contains("rolled back") || why.contains("broke")),
                other => panic!("{other:?}"),
            }
        }
    }

    /// A durable database (in a directory the caller keeps) with the table `t`.
    async fn durable_db_with_table() -> (tempfile::TempDir, super::super::Db) {
        let dir = tempfile::tempdir().unwrap();
        let db = super::super::Db::open(&dir.path().join("state.db"), true).unwrap();
        db.write(|tx| Ok(tx.execute_batch("CREATE TABLE t (v INTEGER NOT NULL)")?))
            .await
            .unwrap();
        (dir, db)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_writes_all_commit_with_their_own_values() {
        let (_dir, db) = durable_db_with_table().await;
        let writes = (0..200).map(|v| {
            let db = db.clone();
            tokio::spawn(async move { db.write(insert(v)).await })
        });
        let mut answers = Vec::new();
        for write in writes {
            answers.push(write.await.unwrap().unwrap());
        }
        assert_eq!(answers, (0..200).collect::<Vec<_>>());
        let stored = db.read(|conn| Ok(values(conn))).await.unwrap();
        assert_eq!(stored, (0..200).collect::<Vec<_>>());
    }

    #[tokio::test]
    async fn new_tokens_alone_leave_the_epoch_and_any_other_write_moves_it() {
        let (_dir, db) = durable_db_with_table().await;
        let before = db.epoch();
        db.write_new_tokens(insert(1)).await.unwrap();
        assert_eq!(db.epoch(), before, "a token added ends no token");
        db.write(insert(2)).await.unwrap();
        assert!(db.epoch() > before);
        // The writer is back to FULL after a token batch.
        let level: i64 = db
            .write(|tx| Ok(tx.query_row("PRAGMA synchronous", [], |row| row.get(0))?))
            .await
            .unwrap();
        assert_eq!(level, 2, "synchronous = FULL");
        assert_eq!(db.read(|conn| Ok(values(conn))).await.unwrap(), [1, 2]);
    }

    /// A write submitted without waiting is queued when the call returns: a write queued
    /// after it finds its row, and its function hears of the commit.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_submitted_write_is_queued_at_once_and_told_of_its_commit() {
        let (_dir, db) = durable_db_with_table().await;
        let (told, outcome) = std::sync::mpsc::channel();
        db.submit_new_tokens(
            |tx| {
                tx.execute("INSERT INTO t (v) VALUES (7)", [])?;
                Ok(())
            },
            move |result| told.send(result.is_ok()).unwrap(),
        );
        let seen = db
            .write(|tx| Ok(tx.query_row("SELECT COUNT(*) FROM t WHERE v = 7", [], |r| r.get::<_, i64>(0))?))
            .await
            .unwrap();
        assert_eq!(seen, 1);
        assert!(outcome.recv().unwrap(), "told it committed");
    }

    #[test]
    fn a_submitted_write_dropped_unrun_is_told_it_was_abandoned() {
        let (told, outcome) = std::sync::mpsc::channel();
        let job = Queued::then(
            |_tx: &Transaction<'_>| -> Result<()> { Ok(()) },
            true,
            move |result: Result<()>| told.send(result).unwrap(),
        );
        drop(job);
        assert!(matches!(outcome.recv().unwrap(), Err(Error::Batch(why)) if why.contains("abandoned")));
    }

    /// One committer at a time takes batch after batch; a job that panics (a bug) answers its
    /// batch "abandoned" and the writes after it still commit, through a new committer.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panicking_write_leaves_the_queue_working() {
        let (_dir, db) = durable_db_with_table().await;
        let panicked = db.write(|_tx| -> Result<()> { panic!("a bug in a write") }).await;
        assert!(
            matches!(&panicked, Err(crate::Error::Batch(why)) if why.contains("abandoned")),
            "{panicked:?}"
        );
        let writes = (0..50).map(|v| {
            let db = db.clone();
            tokio::spawn(async move { db.write(insert(v)).await })
        });
        for (v, write) in writes.enumerate() {
            assert_eq!(write.await.unwrap().unwrap(), i64::try_from(v).unwrap());
        }
        assert_eq!(
            db.read(|conn| Ok(values(conn))).await.unwrap(),
            (0..50).collect::<Vec<_>>()
        );
    }
}

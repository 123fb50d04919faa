//! Hot reload: the `--fixtures` files are watched (their modification times, checked every
//! second) and, on a change, layered over the default again and applied. The new set is also
//! what `reset` returns to. A file that no longer parses is reported and the state left as is.

use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use crate::app::AppState;
use crate::fixtures::FixtureSet;

const POLL: Duration = Duration::from_secs(1);

/// Runs until `stopped` turns true.
pub async fn watch(app: AppState, mut stopped: watch::Receiver<bool>) {
    let mut seen = stamps(&app);
    loop {
        tokio::select! {
            _ = stopped.wait_for(|stop| *stop) => return,
            () = tokio::time::sleep(POLL) => {}
        }
        let now = stamps(&app);
        if now == seen {
            continue;
        }
        seen = now;
        match reload(&app).await {
            Ok(()) => tracing::info!(files = ?app.fixture_files, "fixtures reloaded"),
            Err(error) => tracing::warn!(%error, "fixtures not reloaded; the state is unchanged"),
        }
    }
}

/// The files' modification times (None for a file that cannot be read just now).
fn stamps(app: &AppState) -> Vec<Option<SystemTime>> {
    app.fixture_files
        .iter()
        .map(|f| std::fs::metadata(f).and_then(|m| m.modified()).ok())
        .collect()
}

/// Parses the default and every file again, applies the result and makes it the reset state.
pub async fn reload(app: &AppState) -> crate::Result<()> {
    let files = app.fixture_files.clone();
    let set = tokio::task::spawn_blocking(move || -> crate::Result<FixtureSet> {
        let mut set = FixtureSet::default_set();
        for file in &files {
            set.merge(FixtureSet::load(file)?);
        }
        Ok(set)
    })
    .await??;
    let applied = set.clone();
    let now = app.clock.now();
    app.db.write(move |tx| applied.apply(tx, now)).await?;
    app.set_fixtures(set)?;
    app.reload_caches().await
}

//! Whole-state operations of the control plane: reset to the fixture state.

use crate::app::AppState;
use crate::db::state::clear_all;

/// Back to the fixture state the emulator started with: every realm, client, user, session,
/// token, bucket and object goes, the fixtures are applied again, the clock follows the
/// system again. Runtime changes (users, namespaces, fixtures applied through `/_emu`) go too.
pub async fn reset(app: &AppState) -> crate::Result<()> {
    let _exclusive = app.s3.store.blobs.exclusive.lock().await;
    app.clock.reset();
    let fixtures = app.fixtures();
    let now = app.clock.now();
    app.db
        .write(move |tx| {
            clear_all(tx)?;
            fixtures.apply(tx, now)
        })
        .await?;
    app.s3
        .store
        .blobs
        .remove_all()
        .await
        .map_err(|e| crate::Error::io("clearing blobs/", e))?;
    app.reload_caches().await
}

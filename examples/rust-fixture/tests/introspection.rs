//! The service's tests, each with its own in-process emulator: no Keycloak, no Docker.

use lasuite_emu::Emulator;
use rust_fixture_example::token_is_active;

const SECRET: &str = "ThisIsAnExampleKeyForDevPurposeOnly";

#[tokio::test]
async fn a_fresh_token_is_active_and_an_expired_one_is_not() {
    let emu = Emulator::builder().start().await.unwrap();
    let token = emu.mint_token("docs", "alice").await.unwrap().access_token;
    assert!(
        token_is_active(&emu.issuer("lasuite"), "drive", SECRET, &token)
            .await
            .unwrap()
    );
    emu.clock().advance(2 * 3600);
    assert!(
        !token_is_active(&emu.issuer("lasuite"), "drive", SECRET, &token)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn reset_between_tests_forgets_everything() {
    let emu = Emulator::builder().start().await.unwrap();
    let token = emu.mint_token("docs", "bob").await.unwrap().access_token;
    emu.reset().await.unwrap();
    assert!(
        !token_is_active(&emu.issuer("lasuite"), "drive", SECRET, &token)
            .await
            .unwrap()
    );
}

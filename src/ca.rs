//! `lasuite-emu ca [--install]`: where the local CA of `serve --tls` is, the lines that make
//! each kind of client trust it, and (with `--install`) adding it to the current user's NSS
//! databases, saying exactly what was touched.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::CaArgs;

/// The nickname the CA gets in NSS databases.
pub const NSS_NICKNAME: &str = "lasuite-emu";

/// Runs the command: makes the CA if there is none, prints, installs if asked.
pub fn run(args: &CaArgs) -> Result<(), String> {
    let paths = crate::tls::Paths::in_data_dir(&args.data);
    crate::tls::load_or_make_ca(&paths, crate::clock::Clock::system().now()).map_err(|e| e.to_string())?;
    let ca = std::path::absolute(&paths.ca).unwrap_or(paths.ca.clone());
    print!("{}", instructions(&ca));
    if args.install {
        for line in install(&ca) {
            println!("{line}");
        }
    }
    Ok(())
}

/// The trust lines for the CA at `ca`.
pub fn instructions(ca: &Path) -> String {
    let ca = ca.display();
    format!(
        "# lasuite-emu's local CA (serve --tls): {ca}
# Made once per data directory; its key (ca-key.pem beside it) never leaves this machine.
# Each variable replaces that client's default roots, except NODE_EXTRA_CA_CERTS, which adds.
# Python's ssl module and OpenSSL-based tools:
export SSL_CERT_FILE={ca}
# requests: mozilla-django-oidc (OIDC_VERIFY_SSL=True) and django-lasuite's introspection:
export REQUESTS_CA_BUNDLE={ca}
# boto3, botocore, django-storages:
export AWS_CA_BUNDLE={ca}
# Node.js:
export NODE_EXTRA_CA_CERTS={ca}
# curl:
export CURL_CA_BUNDLE={ca}
# Chromium and Chrome (the NSS database of the current user; Firefox: -d sql:<its profile dir>):
certutil -d sql:$HOME/.pki/nssdb -A -t C,, -n {NSS_NICKNAME} -i {ca}
# Or `lasuite-emu ca --install`, which does that for the current user (never system-wide).
"
    )
}

/// Adds the CA to each NSS database of the current user: Chromium's `~/.pki/nssdb` (created if
/// missing) and every Firefox profile that has one. Returns one line per thing done or skipped.
fn install(ca: &Path) -> Vec<String> {
    let Some(certutil) = find_in_path("certutil") else {
        return vec![
            "--install: certutil not found (Debian and Ubuntu: apt-get install libnss3-tools); nothing was touched".into(),
        ];
    };
    let Some(home) = std::env::var_os("HOME").map(PathBuf::from) else {
        return vec!["--install: HOME is not set; nothing was touched".into()];
    };
    let mut lines = Vec::new();
    let chromium = home.join(".pki/nssdb");
    let mut databases = vec![chromium.clone()];
    for profiles in [
        home.join(".mozilla/firefox"),
        home.join("snap/firefox/common/.mozilla/firefox"),
    ] {
        if let Ok(entries) = std::fs::read_dir(&profiles) {
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.join("cert9.db").is_file())
                .collect();
            found.sort();
            databases.extend(found);
        }
    }
    for db in databases {
        let spec = format!("sql:{}", db.display());
        if !db.join("cert9.db").is_file() {
            if let Err(error) = std::fs::create_dir_all(&db) {
                lines.push(format!("--install: cannot create {}: {error}", db.display()));
                continue;
            }
            let created = Command::new(&certutil)
                .args(["-N", "--empty-password", "-d", &spec])
                .output();
            if !created.is_ok_and(|o| o.status.success()) {
                lines.push(format!("--install: could not create the NSS database {spec}"));
                continue;
            }
            lines.push(format!("created the NSS database {spec}"));
        }
        // Replace an earlier lasuite-emu CA (another data directory's, or one regenerated).
        let mut removed = 0;
        while removed < 16
            && Command::new(&certutil)
                .args(["-D", "-d", &spec, "-n", NSS_NICKNAME])
                .output()
                .is_ok_and(|o| o.status.success())
        {
            removed += 1;
        }
        let added = Command::new(&certutil)
            .args(["-A", "-d", &spec, "-t", "C,,", "-n", NSS_NICKNAME, "-i"])
            .arg(ca)
            .output();
        match added {
            Ok(output) if output.status.success() => lines.push(format!(
                "added {} to the NSS database {spec} as {NSS_NICKNAME:?} (trusted for servers){}",
                ca.display(),
                if removed > 0 {
                    ", replacing the earlier one"
                } else {
                    ""
                }
            )),
            Ok(output) => lines.push(format!(
                "--install: certutil could not add it to {spec}: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )),
            Err(error) => lines.push(format!("--install: running certutil failed: {error}")),
        }
    }
    lines.push(
        "Nothing system-wide was changed; restart the browser to pick the CA up. To undo: certutil -d sql:$HOME/.pki/nssdb -D -n lasuite-emu".into(),
    );
    lines
}

fn find_in_path(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

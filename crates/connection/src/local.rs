//! The `local` connection: commands run on the controller itself.

use tokio::process::Command;

use crate::{BoxFuture, Connection, ConnectionError, ExecOutput, ExecRequest};

/// The controller as a target (Ansible's `local` connection plugin).
#[derive(Debug, Clone, Copy, Default)]
pub struct Local;

impl Connection for Local {
    fn exec(&self, request: ExecRequest) -> BoxFuture<'_, Result<ExecOutput, ConnectionError>> {
        Box::pin(async move {
            let mut command = Command::new("/bin/sh");
            command.arg("-c").arg(request.command_line());
            let out = crate::process::run(command, &request).await?;
            request.finish(out)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime")
    }

    #[test]
    fn runs_with_env_cwd_and_stdin() {
        runtime().block_on(async {
            let mut req = ExecRequest::shell("cat; printf ' %s %s' \"$GREETING\" \"$(pwd)\"")
                .with_stdin(b"in".to_vec());
            req.env.push(("GREETING".into(), "hi there".into()));
            req.cwd = Some("/tmp".into());
            let out = Local.exec(req).await.expect("runs");
            assert_eq!(out.stdout_text(), "in hi there /tmp");
            let failed = Local
                .exec(ExecRequest::shell("echo oops >&2; exit 3"))
                .await
                .expect("runs");
            assert_eq!((failed.rc, failed.stderr_text().as_str()), (3, "oops\n"));
        });
    }

    #[test]
    fn puts_files_atomically_and_fetches_them() {
        runtime().block_on(async {
            let dir = std::env::temp_dir().join(format!("oxible-conn-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("dir");
            let dest = dir.join("it's a file");
            Local
                .put_file(b"one\ntwo\n".to_vec(), &dest, None)
                .await
                .expect("put");
            assert_eq!(
                Local.fetch_file(&dest, None).await.expect("fetch"),
                b"one\ntwo\n"
            );
            let leftovers: Vec<_> = std::fs::read_dir(&dir)
                .expect("list")
                .filter_map(Result::ok)
                .collect();
            assert_eq!(leftovers.len(), 1, "temp file left behind");
            let missing = Local
                .put_file(Vec::new(), &dir.join("no/such/dir/x"), None)
                .await;
            assert!(matches!(missing, Err(ConnectionError::Transfer { .. })));
        });
    }
}

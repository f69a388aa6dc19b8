//! Running a local process for a request: its input fed while its output is collected (a
//! command that writes before it has read all its input cannot deadlock), its exit code
//! read.

use std::future::Future;
use std::process::Stdio;

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tokio::process::Command;

use crate::{ConnectionError, ExecOutput, ExecRequest};

/// Writes `input` to `stdin` (then closes it) while `wait` collects the output.
pub(crate) async fn feed_while<W, F, E>(
    stdin: Option<W>,
    input: Vec<u8>,
    wait: F,
) -> Result<std::process::Output, E>
where
    W: AsyncWrite + Unpin,
    F: Future<Output = Result<std::process::Output, E>>,
{
    let feed = async move {
        if let Some(mut stdin) = stdin {
            // A command that exits without reading its input is not an error.
            let _ = stdin.write_all(&input).await;
            let _ = stdin.shutdown().await;
        }
    };
    let ((), output) = tokio::join!(feed, wait);
    output
}

/// The exit code, stdout and stderr of `output` (-1 for a command killed by a signal).
pub(crate) fn exec_output(output: std::process::Output) -> ExecOutput {
    ExecOutput {
        rc: output.status.code().unwrap_or(-1),
        stdout: output.stdout,
        stderr: output.stderr,
    }
}

/// Runs `command` (a local process that runs `request` somewhere) with the request's input.
pub(crate) async fn run(
    mut command: Command,
    request: &ExecRequest,
) -> Result<ExecOutput, ConnectionError> {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| ConnectionError::Exec(e.to_string()))?;
    let stdin = child.stdin.take();
    let output = feed_while(stdin, request.input(), child.wait_with_output())
        .await
        .map_err(|e| ConnectionError::Exec(e.to_string()))?;
    Ok(exec_output(output))
}

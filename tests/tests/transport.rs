//! The ssh and docker connections against real container hosts (`tests/hosts`): one SSH
//! master reused for many commands, hostile names and bytes surviving exec/put/fetch exactly,
//! become to root and to an unprivileged user (sudo and su), a wrong become password, a
//! stopped host.

use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::time::Duration;

use oxible_connection::{
    Become, BecomeMethod, Connection, ConnectionError, Docker, DockerOptions, ExecRequest, Ssh,
    SshOptions,
};
use oxible_tests::hosts::{TestHost, TestHosts};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

fn ssh(hosts: &TestHosts, host: &TestHost, user: &str) -> Ssh {
    Ssh::new(SshOptions {
        port: Some(host.port),
        user: Some(user.to_string()),
        private_key: Some(hosts.private_key()),
        extra_args: vec!["-o".into(), "UserKnownHostsFile=/dev/null".into()],
        host_key_checking: false,
        connect_timeout: Duration::from_secs(5),
        ..SshOptions::new("127.0.0.1")
    })
}

fn docker(host: &TestHost, user: Option<&str>) -> Docker {
    Docker::new(DockerOptions {
        container: host.container.clone(),
        user: user.map(String::from),
        extra_args: Vec::new(),
    })
}

fn sudo(user: &str, password: Option<&str>) -> Option<Become> {
    Some(Become {
        method: BecomeMethod::Sudo,
        user: user.to_string(),
        password: password.map(String::from),
    })
}

async fn run(conn: &dyn Connection, script: &str, become_: Option<Become>) -> String {
    let mut request = ExecRequest::shell(script);
    request.become_ = become_;
    let out = conn.exec(request).await.expect("exec");
    assert_eq!(out.rc, 0, "{script}: {}", out.stderr_text());
    out.stdout_text()
}

/// Established TCP connections to sshd inside the host.
fn sshd_connections(hosts: &TestHosts) -> usize {
    hosts
        .exec(0, "ss -Htn state established '( sport = :22 )'")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .count()
}

#[test]
fn container_hosts_over_ssh_and_docker() {
    let hosts = TestHosts::start(2);
    let host = &hosts.hosts()[0];
    let rt = runtime();
    rt.block_on(async {
        // 200 sequential commands, one master: one TCP connection to sshd throughout.
        let root = ssh(&hosts, host, "root");
        for i in 0..200 {
            assert_eq!(run(&root, &format!("echo {i}"), None).await, format!("{i}\n"));
        }
        assert_eq!(sshd_connections(&hosts), 1, "one master for 200 commands");

        // Hostile names and bytes, over both transports, with and without become.
        let docker_root = docker(host, None);
        let transports: [(&str, &dyn Connection); 2] = [("ssh", &root), ("docker", &docker_root)];
        let names: [&[u8]; 6] = [
            b"sp ace",
            b"q'uo\"te",
            b"$(touch pwned)`touch pwned`",
            b"new\nline\n",
            b"\xff\xfe-not-utf8 \xc3",
            b"-dash;&|*?",
        ];
        let content: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 256) as u8).collect();
        for (kind, conn) in transports {
            run(conn, "rm -rf /tmp/hostile && mkdir /tmp/hostile", None).await;
            for name in names {
                let mut path = b"/tmp/hostile/".to_vec();
                path.extend_from_slice(name);
                let path = PathBuf::from(std::ffi::OsStr::from_bytes(&path));
                conn.put_file(content.clone(), &path, None)
                    .await
                    .unwrap_or_else(|e| panic!("{kind} put {name:?}: {e}"));
                let back = conn.fetch_file(&path, None).await.expect("fetch");
                assert!(back == content, "{kind}: {name:?} came back different");
                let echo = ExecRequest::shell(&format!(
                    "printf %s {}",
                    oxible_shell::quote_bytes(name)
                ));
                let out = conn.exec(echo).await.expect("exec");
                assert_eq!(out.stdout, name, "{kind}: argument {name:?}");
            }
            let listed = run(conn, "find /tmp/hostile -mindepth 1 -printf x | wc -c; ls ~/pwned /tmp/hostile/pwned pwned 2>&1 || true", None).await;
            assert!(listed.starts_with("6\n") && listed.matches("No such file").count() == 3, "{kind}: {listed}");

            // Become to an unprivileged user: files written through stdin, no temp files.
            let as_tester = run(conn, "id -un", sudo("tester", None)).await;
            assert_eq!(as_tester, "tester\n", "{kind}");
            let dest = PathBuf::from("/home/tester/from-root");
            conn.put_file(b"mine\n".to_vec(), &dest, sudo("tester", None))
                .await
                .expect("put as tester");
            let owner = run(conn, "stat -c %U /home/tester/from-root", None).await;
            assert_eq!(owner, "tester\n", "{kind}");
        }

        // Logged in as tester (passwordless sudo) and as pwuser (sudo with a password).
        let tester = ssh(&hosts, host, "tester");
        assert_eq!(run(&tester, "id -un", sudo("root", None)).await, "root\n");
        let pwuser = ssh(&hosts, host, "pwuser");
        let docker_pwuser = docker(host, Some("pwuser"));
        for conn in [&pwuser as &dyn Connection, &docker_pwuser] {
            let mut request = ExecRequest::shell("id -un; cat").with_stdin(b"payload".to_vec());
            request.become_ = sudo("root", Some("oxible"));
            let out = conn.exec(request.clone()).await.expect("sudo with password");
            assert_eq!(out.stdout_text(), "root\npayload");
            request.become_ = sudo("root", Some("not-the-password"));
            match conn.exec(request).await {
                Err(ConnectionError::Become(reason)) => {
                    assert_eq!(reason, "Incorrect sudo password")
                }
                other => panic!("wrong password: {other:?}"),
            }
            let mut missing = ExecRequest::shell("true");
            missing.become_ = sudo("root", None);
            assert!(matches!(conn.exec(missing).await, Err(ConnectionError::Become(m)) if m == "Missing sudo password"));
        }
        // su to another unprivileged user, its password on stdin ahead of the data (tester
        // logs in; pwuser's password is `oxible`), a 3 MB file written as pwuser through it.
        let docker_tester = docker(host, Some("tester"));
        for conn in [&tester as &dyn Connection, &docker_tester] {
            let su = |password: Option<&str>| {
                Some(Become {
                    method: BecomeMethod::Su,
                    user: "pwuser".to_string(),
                    password: password.map(String::from),
                })
            };
            let mut request = ExecRequest::shell("id -un; cat").with_stdin(b"payload".to_vec());
            request.become_ = su(Some("oxible"));
            let out = conn.exec(request.clone()).await.expect("su with password");
            assert_eq!(out.stdout_text(), "pwuser\npayload");
            let dest = PathBuf::from("/home/pwuser/through-su");
            conn.put_file(content.clone(), &dest, su(Some("oxible")))
                .await
                .expect("put as pwuser through su");
            let back = conn.fetch_file(&dest, su(Some("oxible"))).await.expect("fetch");
            assert!(back == content, "a file written through su came back different");
            for (password, reason) in [
                (Some("not-the-password"), "Incorrect su password"),
                (None, "Missing su password"),
            ] {
                request.become_ = su(password);
                match conn.exec(request.clone()).await {
                    Err(ConnectionError::Become(got)) => assert_eq!(got, reason),
                    other => panic!("su with {password:?}: {other:?}"),
                }
            }
        }
        let processes = hosts.exec(0, "ps -eo args");
        assert!(!processes.contains("oxible"), "password or marker in a process list");

        // A stopped host is unreachable over both transports, with a reason, quickly.
        let second = &hosts.hosts()[1];
        let (ssh2, docker2) = (ssh(&hosts, second, "root"), docker(second, None));
        run(&ssh2, "true", None).await;
        hosts.stop_host(1);
        for conn in [&ssh2 as &dyn Connection, &docker2] {
            let started = std::time::Instant::now();
            match conn.exec(ExecRequest::shell("true")).await {
                Err(ConnectionError::Unreachable(reason)) => assert!(!reason.contains('\n'), "{reason}"),
                other => panic!("stopped host: {other:?}"),
            }
            assert!(started.elapsed() < Duration::from_secs(15));
        }
        for conn in [&root as &dyn Connection, &tester, &pwuser, &ssh2] {
            conn.close().await;
        }
    });
}

#[test]
fn unreachable_ssh_hosts_say_why() {
    let rt = runtime();
    rt.block_on(async {
        // A loopback port nobody listens on: refused at once.
        let refused = Ssh::new(SshOptions {
            port: Some(1),
            connect_timeout: Duration::from_secs(2),
            ..SshOptions::new("127.0.0.1")
        });
        match refused.exec(ExecRequest::shell("true")).await {
            Err(ConnectionError::Unreachable(reason)) => {
                assert!(reason.contains("Connection refused"), "{reason}")
            }
            other => panic!("refused: {other:?}"),
        }
    });
}

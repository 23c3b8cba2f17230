//! A WHOIS server on a real TCP socket (RFC 3912): reads one query line, answers from a table,
//! closes. Some servers misbehave on purpose: one never closes, one never says a word, one
//! floods.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

#[derive(Debug, Clone)]
pub enum WhoisBehaviour {
    /// Answer from the table (or "No match") and close.
    Answer(HashMap<String, String>),
    /// Send a line, then keep the connection open without a word more.
    NeverClose,
    /// Take the query and say nothing, never closing: the client can only time out.
    Silent,
    /// Send this many bytes of text, then close.
    Flood(usize),
}

pub struct WhoisServer {
    pub addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for WhoisServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl WhoisServer {
    pub async fn start(behaviour: WhoisBehaviour) -> WhoisServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let addr = listener
            .local_addr()
            .unwrap_or_else(|e| panic!("addr: {e}"));
        let behaviour = Arc::new(behaviour);
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let behaviour = behaviour.clone();
                tokio::spawn(async move {
                    let (read, mut write) = stream.into_split();
                    let mut line = String::new();
                    if BufReader::new(read).read_line(&mut line).await.is_err() {
                        return;
                    }
                    let query = line.trim_end_matches(['\r', '\n']).to_owned();
                    match behaviour.as_ref() {
                        WhoisBehaviour::Answer(table) => {
                            let text = table
                                .get(&query)
                                .cloned()
                                .unwrap_or_else(|| format!("No match for \"{query}\".\r\n"));
                            let _ = write.write_all(text.as_bytes()).await;
                        }
                        WhoisBehaviour::NeverClose => {
                            let _ = write.write_all(b"% still thinking\r\n").await;
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                        }
                        WhoisBehaviour::Silent => {
                            tokio::time::sleep(Duration::from_secs(3600)).await;
                        }
                        WhoisBehaviour::Flood(total) => {
                            let chunk = "% lorem ipsum dolor sit amet, consectetur adipiscing\r\n"
                                .repeat(1000);
                            let mut sent = 0;
                            while sent < *total {
                                if write.write_all(chunk.as_bytes()).await.is_err() {
                                    return;
                                }
                                sent += chunk.len();
                            }
                        }
                    }
                    let _ = write.shutdown().await;
                });
            }
        });
        WhoisServer { addr, task }
    }
}

//! An S3 client for the tests: SigV4-signed requests written as raw HTTP/1.1 over TCP, so a
//! path reaches the emulator byte for byte as signed (no client-side URL normalisation).

#![allow(dead_code)]

use std::net::SocketAddr;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::sigv4::{Request, Signer, now, sha256_hex};

pub struct S3Client {
    pub addr: SocketAddr,
    pub host: String,
    pub signer: Signer,
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The `<Code>` of an S3 XML error.
    pub fn code(&self) -> String {
        xml_value(&self.text(), "Code").unwrap_or_default()
    }
}

/// The text of the first `<tag>` in `xml`.
pub fn xml_value(xml: &str, tag: &str) -> Option<String> {
    let start = xml.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = start + xml[start..].find(&format!("</{tag}>"))?;
    Some(xml[start..end].to_owned())
}

/// Every `<tag>` value in `xml`, in order.
pub fn xml_values(xml: &str, tag: &str) -> Vec<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    xml.split(&open)
        .skip(1)
        .filter_map(|part| part.find(&close).map(|end| part[..end].to_owned()))
        .collect()
}

impl S3Client {
    pub fn new(emu: &lasuite_emu::RunningEmulator) -> Self {
        Self::with_keys(emu, "drive", "password")
    }

    pub fn with_keys(emu: &lasuite_emu::RunningEmulator, access: &str, secret: &str) -> Self {
        let addr = emu.local_addrs()[0];
        Self {
            addr,
            host: addr.to_string(),
            signer: Signer::new(access, secret),
        }
    }

    /// A header-signed request with the body's SHA-256 as payload hash.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        let request = Request {
            method,
            host: &self.host,
            path,
            query,
            headers,
        };
        let signed = self.signer.sign(&request, &sha256_hex(body), now());
        self.send_signed(&signed, body).await
    }

    pub async fn send_signed(&self, signed: &crate::sigv4::Signed, body: &[u8]) -> Reply {
        let headers: Vec<(&str, &str)> = signed
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.raw(&signed.method, &signed.path_and_query, &headers, body)
            .await
    }

    pub async fn get(&self, path: &str) -> Reply {
        self.send("GET", path, &[], &[], b"").await
    }

    pub async fn put(&self, path: &str, body: &[u8]) -> Reply {
        self.send("PUT", path, &[], &[], body).await
    }

    /// Writes one HTTP/1.1 request as given and reads the whole answer.
    pub async fn raw(&self, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let mut head = format!(
            "{method} {target} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\n",
            self.host
        );
        for (k, v) in headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        if !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
        {
            head.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(body);
        self.exchange(&bytes).await
    }

    /// Sends raw bytes, then reads until the server closes.
    pub async fn exchange(&self, bytes: &[u8]) -> Reply {
        let mut stream = tokio::net::TcpStream::connect(self.addr).await.unwrap();
        stream.write_all(bytes).await.unwrap();
        let mut answer = Vec::new();
        let _ = stream.read_to_end(&mut answer).await;
        parse(&answer)
    }
}

fn parse(answer: &[u8]) -> Reply {
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete HTTP head");
    let head = String::from_utf8_lossy(&answer[..split]).into_owned();
    let mut lines = head.lines();
    let status = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        })
        .collect();
    let mut body = answer[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k == "transfer-encoding" && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Reply {
        status,
        headers,
        body,
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..line_end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        out.extend_from_slice(&data[line_end + 2..line_end + 2 + size]);
        data = &data[line_end + 2 + size + 2..];
    }
    out
}

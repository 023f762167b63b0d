//! `containerd:REF`: an image's manifest, config and layers read with `Content.Read`, streamed
//! straight into the engine's walk (no temporary tarball).

use assure_engine::error::{Error, Result};
use assure_engine::source::{BlobReader, BlobRef, BlobSource, Root};
use containerd_client::services::v1::content_client::ContentClient;
use containerd_client::services::v1::images_client::ImagesClient;
use containerd_client::services::v1::{GetImageRequest, ReadContentRequest, ReadContentResponse};
use containerd_client::tonic::{Code, Request, Status, Streaming, transport::Channel};
use std::io::{self, Read};
use tokio::runtime::Handle;

/// Kubernetes keeps its images in this containerd namespace.
pub const DEFAULT_NAMESPACE: &str = "k8s.io";
/// Where containerd listens on most nodes (k3s: `/run/k3s/containerd/containerd.sock`).
pub const DEFAULT_ADDRESS: &str = "/run/containerd/containerd.sock";

/// An image in a containerd namespace.
pub struct ContainerdSource {
    name: String,
    reference: String,
    namespace: String,
    address: String,
    rt: Handle,
    channel: Channel,
    target: BlobRef,
}

impl ContainerdSource {
    /// Connect to containerd at `address` and find `reference` in `namespace`.
    ///
    /// Must not be called from inside the runtime `rt` belongs to: it blocks on it.
    pub fn connect(rt: &Handle, address: &str, namespace: &str, reference: &str) -> Result<Self> {
        let name = format!("containerd:{reference}");
        let channel = rt
            .block_on(containerd_client::connect(address))
            .map_err(|e| {
                Error::invalid(
                    &name,
                    format!(
                        "cannot connect to containerd at {address}: {}",
                        error_chain(&e)
                    ),
                )
            })?;
        let mut images = ImagesClient::new(channel.clone());
        let candidates = candidate_names(reference);
        let mut found = None;
        for candidate in &candidates {
            let request = namespaced(
                GetImageRequest {
                    name: candidate.clone(),
                },
                namespace,
                &name,
            )?;
            match rt.block_on(images.get(request)) {
                Ok(resp) => {
                    found = resp.into_inner().image;
                    break;
                }
                Err(s) if s.code() == Code::NotFound => continue,
                Err(s) => return Err(status_error(&name, address, &s)),
            }
        }
        let image = found.ok_or_else(|| {
            Error::invalid(
                &name,
                format!(
                    "no image named {} in containerd namespace {namespace} (socket {address})",
                    candidates.join(" or ")
                ),
            )
        })?;
        let target = image.target.ok_or_else(|| {
            Error::invalid(&name, "containerd image record has no target descriptor")
        })?;
        Ok(ContainerdSource {
            reference: image.name,
            name,
            namespace: namespace.to_string(),
            address: address.to_string(),
            rt: rt.clone(),
            channel,
            target: BlobRef {
                media_type: Some(target.media_type),
                digest: target.digest,
                size: u64::try_from(target.size).ok(),
            },
        })
    }
}

/// The names containerd may store `reference` under: as given, then fully qualified
/// (`nginx` → `docker.io/library/nginx:latest`, as the CRI plugin names pulled images).
fn candidate_names(reference: &str) -> Vec<String> {
    let mut names = vec![reference.to_string()];
    let (repo, suffix) = match reference.split_once('@') {
        Some((r, d)) => (r, format!("@{d}")),
        None => {
            let last = reference.rsplit('/').next().unwrap_or(reference);
            if last.contains(':') {
                let (r, t) = reference.rsplit_once(':').unwrap_or((reference, "latest"));
                (r, format!(":{t}"))
            } else {
                (reference, ":latest".to_string())
            }
        }
    };
    let first = repo.split('/').next().unwrap_or(repo);
    let has_domain =
        repo.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
    let full = if has_domain {
        repo.to_string()
    } else if repo.contains('/') {
        format!("docker.io/{repo}")
    } else {
        format!("docker.io/library/{repo}")
    };
    let qualified = format!("{full}{suffix}");
    if qualified != reference {
        names.push(qualified);
    }
    names
}

fn namespaced<T>(message: T, namespace: &str, input: &str) -> Result<Request<T>> {
    let mut request = Request::new(message);
    let value = namespace.parse().map_err(|_| {
        Error::invalid(input, format!("invalid containerd namespace `{namespace}`"))
    })?;
    request.metadata_mut().insert("containerd-namespace", value);
    Ok(request)
}

fn status_error(input: &str, address: &str, s: &Status) -> Error {
    Error::invalid(
        input,
        format!(
            "containerd at {address} answered {:?}: {}",
            s.code(),
            s.message()
        ),
    )
}

fn error_chain(e: &dyn std::error::Error) -> String {
    // tonic nests io errors that print the same text; show each distinct cause once.
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = s.source();
    }
    parts.join(": ")
}

impl BlobSource for ContainerdSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn reference(&self) -> &str {
        &self.reference
    }

    fn root(&self) -> Result<Root> {
        Ok(Root::Blob(self.target.clone()))
    }

    fn open_blob(&self, digest: &str) -> Result<BlobReader<'_>> {
        let request = namespaced(
            ReadContentRequest {
                digest: digest.to_string(),
                offset: 0,
                size: 0,
            },
            &self.namespace,
            &self.name,
        )?;
        let mut client = ContentClient::new(self.channel.clone());
        let not_found = || {
            Error::BlobNotFound {
            source_name: format!("{} (namespace {})", self.name, self.namespace),
            digest: digest.to_string(),
            hint: "; containerd keeps no layer blobs when it runs with discard_unpacked_layers (the GKE default)".into(),
        }
        };
        let mut stream = match self.rt.block_on(client.read(request)) {
            Ok(r) => r.into_inner(),
            Err(s) if s.code() == Code::NotFound => return Err(not_found()),
            Err(s) => return Err(status_error(&self.name, &self.address, &s)),
        };
        // containerd reports a missing blob on the first message, not on the call.
        let first = match self.rt.block_on(stream.message()) {
            Ok(m) => m,
            Err(s) if s.code() == Code::NotFound => return Err(not_found()),
            Err(s) => return Err(status_error(&self.name, &self.address, &s)),
        };
        Ok(Box::new(ContentReader {
            rt: self.rt.clone(),
            stream,
            chunk: first.map(|m| m.data).unwrap_or_default(),
            pos: 0,
            done: false,
        }))
    }
}

/// A blocking reader over the `Content.Read` response stream.
struct ContentReader {
    rt: Handle,
    stream: Streaming<ReadContentResponse>,
    chunk: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Read for ContentReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.pos >= self.chunk.len() {
            if self.done {
                return Ok(0);
            }
            match self.rt.block_on(self.stream.message()) {
                Ok(Some(m)) => {
                    self.chunk = m.data;
                    self.pos = 0;
                }
                Ok(None) => self.done = true,
                Err(s) => {
                    return Err(io::Error::other(format!(
                        "containerd Content.Read: {:?}: {}",
                        s.code(),
                        s.message()
                    )));
                }
            }
        }
        let n = buf.len().min(self.chunk.len() - self.pos);
        buf[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::candidate_names;

    #[test]
    fn qualifies_names_like_the_cri_plugin() {
        assert_eq!(
            candidate_names("nginx"),
            vec!["nginx", "docker.io/library/nginx:latest"]
        );
        assert_eq!(
            candidate_names("demo:1"),
            vec!["demo:1", "docker.io/library/demo:1"]
        );
        assert_eq!(
            candidate_names("127.0.0.1:5000/demo:1"),
            vec!["127.0.0.1:5000/demo:1"]
        );
        assert_eq!(
            candidate_names("user/app"),
            vec!["user/app", "docker.io/user/app:latest"]
        );
        assert_eq!(
            candidate_names("docker.io/library/demo:1"),
            vec!["docker.io/library/demo:1"]
        );
    }
}

//! Plug-in CA secrets (`cacerts` in `istio-system`) in the fake clusters, as the multicluster
//! guides ask for them.

use k8s_openapi::api::core::v1::{Namespace, Secret};
use k8s_openapi::ByteString;
use kube::api::{Api, PostParams};
use kube::Client;

use super::fakekube::FakeKube;
use super::pki::Cert;

/// Puts a `cacerts` secret holding `data` in `istio-system`, making the namespace if needed.
pub async fn put_cacerts(client: &Client, data: &[(&str, String)]) {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    if namespaces.get_opt("istio-system").await.unwrap().is_none() {
        let ns = serde_json::from_value(serde_json::json!({"metadata": {"name": "istio-system"}}));
        namespaces
            .create(&PostParams::default(), &ns.unwrap())
            .await
            .unwrap();
    }
    let secret = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some("cacerts".into()),
            ..Default::default()
        },
        data: Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
                .collect(),
        ),
        ..Default::default()
    };
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "istio-system");
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();
}

/// The four keys of a plug-in CA secret: an intermediate, its key, the root, the chain.
pub fn cacerts(root: &Cert, inter: &Cert) -> Vec<(&'static str, String)> {
    vec![
        ("ca-cert.pem", inter.cert_pem.clone()),
        ("ca-key.pem", inter.key_pem.clone()),
        ("root-cert.pem", root.cert_pem.clone()),
        (
            "cert-chain.pem",
            format!("{}{}", inter.cert_pem, root.cert_pem),
        ),
    ]
}

/// Plug-in CAs in both clusters: intermediates of one root, as the guide asks.
pub async fn prepare(kube: &FakeKube) -> Cert {
    let root = kube.pki.root("root-a", "Root A");
    let inter1 = kube
        .pki
        .intermediate("inter-1", "Intermediate cluster1", &root);
    let inter2 = kube
        .pki
        .intermediate("inter-2", "Intermediate cluster2", &root);
    put_cacerts(&kube.client("c1").await, &cacerts(&root, &inter1)).await;
    put_cacerts(&kube.client("c2").await, &cacerts(&root, &inter2)).await;
    root
}

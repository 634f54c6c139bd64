use leptos::prelude::*;

#[component]
pub fn Footer() -> impl IntoView {
    view! {
        <footer class="footer">
            <p>
                "Sky Trace " {env!("CARGO_PKG_VERSION")}
                " · Logs are analysed on this server or in your browser; nothing is sent anywhere else."
            </p>
            <p class="attribution" data-testid="attribution">
                <a href="https://db-ip.com">"IP geolocation by DB-IP"</a>
                " (CC BY 4.0) · ASN data from RouteViews and DB-IP via ip-location-db (CC BY 4.0) · "
                "Countries for analyses in the browser: geo-whois-asn-country via ip-location-db, from "
                <a href="https://www.nro.net">"NRO"</a>
                " whois data (CC BY 4.0)"
            </p>
        </footer>
    }
}

package ui

import "net/http"

// landingPage is the minimal page at /, until the templ pages arrive. It has no
// inline script or style, so the Content-Security-Policy holds.
const landingPage = `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>TalentChain 人才链</title>
</head>
<body>
<h1>TalentChain 人才链</h1>
<p lang="en">Verifiable talent credentials issued by Beijing universities and science parks, anchored on a consortium chain.</p>
<p>由北京高校与科技园区签发、锚定在联盟链上的可验证人才凭证。</p>
<h2 lang="en">API</h2>
<ul lang="en">
<li><code>POST /credentials/verify</code> — verify a verifiable credential (VC-API)</li>
<li><code>POST /presentations/verify</code> — verify a verifiable presentation (VC-API)</li>
<li><a href="/healthz"><code>GET /healthz</code></a> — readiness</li>
</ul>
</body>
</html>
`

func (h *handler) landing(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(landingPage))
}

"""WeCom (企业微信): encrypted app callbacks in, 微信客服 (kf) messages pulled, warnings out.

- `app`: `WeComApp`, the plain settings of one self-built app or kf account.
- `webhook`: URL verification and decryption of callbacks, dedupe keys.
- `messages`: decrypted callback XML and kf `sync_msg` items as typed messages.
- `interaction`: messages as `Interaction`s, with agents and teams mapped.
- `api`: wechatpy's enterprise client with token caching, media download,
  app message send and kf message sync.
- `errors`: `UnknownApp` (404) and the API errors, beside `adapters.errors`.
"""

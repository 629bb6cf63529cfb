/// OAuth2 tokens for XOAUTH2. (placeholder)
public enum OAuth2Placeholder {}

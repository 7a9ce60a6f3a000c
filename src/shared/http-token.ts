/** An HTTP header name: an RFC 9110 token (tchar+). */
export const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

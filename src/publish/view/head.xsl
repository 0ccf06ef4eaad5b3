<?xml version="1.0" encoding="utf-8"?>
<!-- feedwright: an RSS 2.0 or Atom 1.0 feed as a page a person can read. Feed readers never load
     this file; browsers that still apply XSLT do, through the feed's xml-stylesheet instruction. -->
<xsl:stylesheet version="1.0"
    xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:atom="http://www.w3.org/2005/Atom"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    exclude-result-prefixes="atom dc">
  <xsl:output method="html" encoding="utf-8" indent="no"
      doctype-system="about:legacy-compat"/>

  <xsl:variable name="self" select="/rss/channel/atom:link[@rel='self']/@href | /atom:feed/atom:link[@rel='self']/@href"/>
  <xsl:variable name="ext">
    <xsl:choose>
      <xsl:when test="/rss">.rss</xsl:when>
      <xsl:otherwise>.atom</xsl:otherwise>
    </xsl:choose>
  </xsl:variable>
  <xsl:variable name="base" select="substring($self, 1, string-length($self) - string-length($ext))"/>

  <xsl:template match="/">
    <xsl:variable name="title" select="/rss/channel/title | /atom:feed/atom:title"/>
    <html lang="en">
      <head>
        <meta charset="utf-8"/>
        <meta name="viewport" content="width=device-width,initial-scale=1"/>
        <title><xsl:value-of select="$title"/> (feed)</title>
        <style>

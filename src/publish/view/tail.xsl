        </style>
      </head>
      <body>
        <header>
          <p class="muted">A news feed: follow it in a feed reader.</p>
          <h1><xsl:value-of select="$title"/></h1>
          <p><xsl:value-of select="/rss/channel/description | /atom:feed/atom:subtitle"/></p>
          <p class="meta">
            <a href="{/rss/channel/link | /atom:feed/atom:link[@rel='alternate']/@href}">Visit the site</a>
          </p>
        </header>
        <section class="subscribe" id="subscribe">
          <h2>How to subscribe</h2>
          <p>Copy this address into your feed reader (Miniflux, FreshRSS, NetNewsWire, Feedly, Thunderbird…):</p>
          <input type="text" readonly="readonly" aria-label="Feed address" value="{$self}"/>
          <p class="meta">The same feed as
            <a href="{$base}.rss">RSS</a> · <a href="{$base}.atom">Atom</a> · <a href="{$base}.json">JSON Feed</a></p>
        </section>
        <main>
          <xsl:choose>
            <xsl:when test="/rss/channel/item | /atom:feed/atom:entry">
              <ol class="items">
                <xsl:apply-templates select="/rss/channel/item | /atom:feed/atom:entry"/>
              </ol>
            </xsl:when>
            <xsl:otherwise>
              <p class="empty muted">No items yet: the feed fills in after its first successful run.</p>
            </xsl:otherwise>
          </xsl:choose>
        </main>
        <footer>Made by feedwright. This page is the feed itself, laid out for reading.</footer>
      </body>
    </html>
  </xsl:template>

  <xsl:template match="item">
    <li>
      <h3>
        <xsl:choose>
          <xsl:when test="link"><a href="{link}"><xsl:value-of select="title"/></a></xsl:when>
          <xsl:otherwise><xsl:value-of select="title"/></xsl:otherwise>
        </xsl:choose>
      </h3>
      <div class="meta">
        <time><xsl:value-of select="substring(pubDate, 1, 22)"/></time>
        <xsl:if test="dc:creator"> · <xsl:value-of select="dc:creator"/></xsl:if>
      </div>
    </li>
  </xsl:template>

  <xsl:template match="atom:entry">
    <li>
      <h3>
        <xsl:choose>
          <xsl:when test="atom:link[@rel='alternate']"><a href="{atom:link[@rel='alternate']/@href}"><xsl:value-of select="atom:title"/></a></xsl:when>
          <xsl:otherwise><xsl:value-of select="atom:title"/></xsl:otherwise>
        </xsl:choose>
      </h3>
      <div class="meta">
        <time datetime="{atom:published}"><xsl:value-of select="translate(substring(atom:published, 1, 16), 'T', ' ')"/> UTC</time>
        <xsl:if test="atom:author/atom:name"> · <xsl:value-of select="atom:author/atom:name"/></xsl:if>
      </div>
    </li>
  </xsl:template>
</xsl:stylesheet>

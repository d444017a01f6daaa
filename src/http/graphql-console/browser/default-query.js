/** What a first visit finds in the editor: a detections query worth running as it is. */
export const DEFAULT_QUERY = `# Watchpost GraphQL console
#
# Paste an API key above (it is kept for this browser tab only), then run
# the query with Ctrl-Enter or the ▶ button. The Docs pane (top left)
# describes every query and mutation; Ctrl-Space completes field names.

query RecentDetections {
  detections(first: 10) {
    totalCount
    edges {
      node {
        id
        rule { name }
        status
        count
        firstTime
        lastTime
        fields
        riskEvents { object type score }
        mitre { id name tactics }
      }
    }
  }
}
`

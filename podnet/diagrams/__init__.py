"""Pictures drawn from podnet's own data (the IP plan, the synthesized templates) as plain SVG text."""
